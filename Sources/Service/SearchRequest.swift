/// The body of `POST /search`: `{"query": string, "k": integer}`, k defaulting to 10.
public struct SearchRequest: Sendable, Equatable, Decodable {
    public var query: String
    public var k: Int

    enum CodingKeys: String, CodingKey { case query, k }

    public init(query: String, k: Int = 10) {
        self.query = query
        self.k = k
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        query = try c.decode(String.self, forKey: .query)
        k = try RequestDecoding.integer(c, .k) ?? 10
    }

    /// Parses and checks a body: k in 1...maxK.
    public static func parse(_ body: [UInt8], maxK: Int) throws(APIError) -> SearchRequest {
        let request = try RequestDecoding.decode(SearchRequest.self, from: body)
        guard (1...maxK).contains(request.k) else {
            throw APIError.invalid("'k' must be between 1 and \(maxK), not \(request.k)", param: "k")
        }
        return request
    }
}
