import Foundation
import Testing

struct HelpTests {
    @Test(arguments: [["--help"], ["embed", "--help"], ["tokenize", "--help"], ["help", "embed"]])
    func helpExitsZeroAndDescribesTheCommand(_ arguments: [String]) throws {
        let result = try runEmbedTune(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdoutText
        #expect(text.contains("USAGE:"), "\(text)")
        if arguments.contains("embed") {
            #expect(text.contains("--model") && text.contains("--batch-size") && text.contains("--output"))
        } else if arguments.contains("tokenize") {
            #expect(text.contains("--model") && text.contains("--max-length"))
        } else {
            #expect(text.contains("embed") && text.contains("tokenize"))
        }
    }

    @Test func anUnknownSubcommandFails() throws {
        let result = try runEmbedTune(["no-such-command"])
        #expect(result.status != 0)
        #expect(!result.stderr.isEmpty)
    }
}
