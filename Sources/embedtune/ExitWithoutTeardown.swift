import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ends a short-lived command that has written all its output, without first releasing its model,
/// tokenizer, store and mappings object by object: for `embed` of one line or one `search`, that
/// teardown (tens of thousands of vocabulary strings freed, every mapping unmapped on its own) was about
/// a tenth of the wall time, and the system reclaims the process whole anyway. `exit` still flushes C
/// stdio and runs atexit handlers; the caller has flushed its own buffers, and holds no write
/// transaction (a read-only store, or none).
enum ExitWithoutTeardown {
    static func now() -> Never {
        exit(EXIT_SUCCESS)
    }
}
