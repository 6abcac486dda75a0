import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `embedtune serve` stopped by SIGTERM while a 10 MB response is on its way to a client that paused
/// reading: the client receives every byte, and the server exits 0 (before `DrainBeforeCloseHandler`
/// the response was cut off after the ~4 MB the kernel's buffers held).
@Suite struct ServeShutdownTests {
    /// A TCP port that was free a moment ago (bound to port 0, then released).
    static func freePort() throws -> Int {
        let (fd, port) = try loopbackSocket(listening: false)
        close(fd)
        return port
    }

    /// A socket bound to a free loopback port (listening when asked), and the port; the caller closes it.
    static func loopbackSocket(listening: Bool) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && (!listening || listen(fd, 1) == 0) && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw CLITestError("cannot bind a loopback port")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A connected socket, or nil while nothing listens on `port`.
    static func connectTo(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if status == 0 { return fd }
        close(fd)
        return nil
    }

    static func readAll(_ fd: Int32, timeoutSeconds: Int) -> [UInt8] {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return received }
            received += buffer[0..<n]
        }
    }

    /// A port another socket listens on: serve ends at once naming --host and --port, not NIO's bind().
    @Test func aPortInUseIsNamedPlainly() throws {
        let (fd, port) = try Self.loopbackSocket(listening: true)
        defer { close(fd) }
        let result = try runEmbedTune(["serve", "--model", Repository.tinyModel.path, "--port", String(port), "--threads", "1"])
        result.expectRefusal(naming: "--host 127.0.0.1 --port \(port): the address is already in use")
        #expect(!result.stderr.contains("bind("), "\(result.stderr)")
    }

    @Test func sigtermDuringALargeResponseDeliversAllOfItAndExitsZero() throws {
        let port = try Self.freePort()
        let server = Process()
        server.executableURL = try Repository.binary()
        server.arguments = ["serve", "--model", Repository.tinyModel.path, "--port", String(port), "--threads", "1",
                            "--max-inputs", "40000", "--max-body-bytes", "8000000"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        var probe: Int32?
        for _ in 0..<300 where probe == nil {
            probe = Self.connectTo(port: port)
            if probe == nil { usleep(100_000) }
        }
        guard let probe else { throw CLITestError("serve did not listen on \(port) within 30 s") }
        close(probe)

        let inputs = (0..<25_000).map { "\"river \($0) water\"" }.joined(separator: ",")
        let body = "{\"input\":[\(inputs)]}"
        let request = "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        guard let fd = Self.connectTo(port: port) else { throw CLITestError("cannot connect") }
        defer { close(fd) }
        var sent = 0
        let bytes = Array(request.utf8)
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw CLITestError("send failed") }
            sent += n
        }
        // The first bytes of the answer: the response is under way. The client pauses (the kernel's socket
        // buffers hold a few megabytes; the rest waits in the server), the server gets SIGTERM, then the
        // client reads on.
        var first = [UInt8](repeating: 0, count: 16)
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let firstCount = recv(fd, &first, first.count, 0)
        #expect(firstCount > 0)
        usleep(1_000_000)
        kill(server.processIdentifier, SIGTERM)
        usleep(1_000_000)
        let response = Array(first[0..<max(0, firstCount)]) + Self.readAll(fd, timeoutSeconds: 60)
        server.waitUntilExit()
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)

        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw CLITestError("no header end in \(text.prefix(200))") }
        let head = text[..<split.lowerBound].lowercased()
        #expect(head.hasPrefix("http/1.1 200"), "\(head)")
        let declared = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
        let received = response.count - text[..<split.upperBound].utf8.count
        #expect(declared != nil && declared == received, "declared \(String(describing: declared)), received \(received)")
        #expect(received > 10_000_000, "\(received) bytes")
        let object = try JSONSerialization.jsonObject(with: Data(response[(response.count - received)...])) as? [String: Any]
        #expect((object?["data"] as? [Any])?.count == 25_000)
    }
}
