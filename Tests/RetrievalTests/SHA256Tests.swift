@testable import Store
import Testing
@testable import Retrieval

@Suite struct SHA256Tests {
    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf"): one block, two blocks, empty input.
    @Test func matchesFIPSExamples() {
        func hex(_ s: String) -> String { var h = SHA256(); h.update(s.utf8); return SHA256.hex(h.finalize()) }
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func contentHashSeparatesFields() {
        let a = ContentHash.of(id: "1", title: "ab", text: "c")
        #expect(a == ContentHash.of(id: "1", title: "ab", text: "c"))
        #expect(a != ContentHash.of(id: "1", title: "a", text: "bc"))
        #expect(a != ContentHash.of(id: "1", title: nil, text: "abc"))
        #expect(ContentHash.of(id: "1", title: nil, text: "x") != ContentHash.of(id: "1", title: "", text: "x"))
        #expect(a.count == 64)
    }
}
