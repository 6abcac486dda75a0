/// A failure of the running server; a port already taken is said as such, naming the address.
struct ServeFailure: Error, CustomStringConvertible {
    let description: String

    /// `error` as it is, or, when the address was in use (NIO's `bind(...)` errno 98), a plain sentence.
    static func explained(_ error: any Error, host: String, port: Int) -> any Error {
        guard String(describing: error).contains("Address already in use") else { return error }
        return ServeFailure(description: "--host \(host) --port \(port): the address is already in use (another "
            + "server listens there); choose another --port, or 0 for any free port")
    }
}
