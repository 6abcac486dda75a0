/// The body of `POST /search`: `{"query": string, "k": integer, "prompt_name": string, "mode": string}`, k
/// defaulting to 10, prompt_name to the model's query prompt (if it defines prompts), mode ("vector",
/// "lexical" or "hybrid", as `search --mode`) to "vector".
public struct SearchRequest: Sendable, Equatable, Decodable {
    public var query: String
    public var k: Int
    public var promptName: String?
    public var mode: String?

    enum CodingKeys: String, CodingKey { case query, k, promptName = "prompt_name", mode }

    public init(query: String, k: Int = 10) {
        self.query = query
        self.k = k
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        query = try c.decode(String.self, forKey: .query)
        k = try RequestDecoding.integer(c, .k) ?? 10
        promptName = try RequestDecoding.string(c, .promptName)
        mode = try RequestDecoding.string(c, .mode)
    }

    /// Parses and checks a body: k in 1...maxK.
    public static func parse(_ body: [UInt8], maxK: Int) throws(APIError) -> SearchRequest {
        let request = try RequestDecoding.decode(SearchRequest.self, from: body)
        guard (1...maxK).contains(request.k) else {
            throw APIError.invalid("'k' must be between 1 and \(maxK), not \(request.k)", param: "k")
        }
        if let mode = request.mode, !["vector", "lexical", "hybrid"].contains(mode) {
            throw APIError.invalid("'mode' must be \"vector\", \"lexical\" or \"hybrid\"", param: "mode")
        }
        return request
    }
}
