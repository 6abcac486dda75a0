import Store

/// The body of `POST /search`: `{"query": string, "k": integer, "prompt_name": string, "mode": string,
/// "rrf_k": number, "vector_weight": number, "lexical_weight": number}`, k defaulting to 10, prompt_name
/// to the model's query prompt (if it defines prompts), mode ("vector", "lexical" or "hybrid", as
/// `search --mode`) to "vector", and the three fusion values of hybrid ranking to the server's
/// (`serve --rrf-k`, `--vector-weight`, `--lexical-weight`).
public struct SearchRequest: Sendable, Equatable, Decodable {
    public var query: String
    public var k: Int
    public var promptName: String?
    public var mode: String?
    public var rrfK: Double?
    public var vectorWeight: Double?
    public var lexicalWeight: Double?

    enum CodingKeys: String, CodingKey {
        case query, k, promptName = "prompt_name", mode, rrfK = "rrf_k", vectorWeight = "vector_weight"
        case lexicalWeight = "lexical_weight"
    }

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
        rrfK = try RequestDecoding.number(c, .rrfK)
        vectorWeight = try RequestDecoding.number(c, .vectorWeight)
        lexicalWeight = try RequestDecoding.number(c, .lexicalWeight)
    }

    /// Parses and checks a body: k in 1...maxK, a known mode. The fusion values are checked by
    /// `fusion(overriding:)`.
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

    /// `defaults` with the fields this request gives in place of its values; a 400 naming the field
    /// when the result cannot rank (`RankFusion.fault`).
    public func fusion(overriding defaults: RankFusion) throws(APIError) -> RankFusion {
        func weight(_ list: Int) -> Double { list < defaults.weights.count ? defaults.weights[list] : 1 }
        let fusion = RankFusion(k: rrfK ?? defaults.k, weights: [vectorWeight ?? weight(0), lexicalWeight ?? weight(1)])
        switch fusion.fault {
        case nil:
            return fusion
        case .k:
            throw APIError.invalid("'rrf_k' must be a finite number > 0", param: "rrf_k")
        case .weight(list: 0):
            throw APIError.invalid("'vector_weight' must be a finite number >= 0", param: "vector_weight")
        case .weight:
            throw APIError.invalid("'lexical_weight' must be a finite number >= 0", param: "lexical_weight")
        case .noPositiveWeight:
            throw APIError.invalid(
                "'vector_weight' and 'lexical_weight' cannot both be 0",
                param: lexicalWeight != nil ? "lexical_weight" : "vector_weight")
        }
    }
}
