import Store

/// Where the service listens, its request limits and its batching.
public struct ServiceConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int
    /// Most `input` items in one embeddings request; more get 400.
    public var maxInputsPerRequest: Int
    /// Largest `k` a search may ask for.
    public var maxK: Int
    /// Name echoed as `model` when a request names none.
    public var modelName: String
    public var batching: BatchingPolicy
    /// Threads of the top-k scan of one search.
    public var searchThreads: Int
    /// A connection with no bytes moving for this long is closed: idle keep-alive connections, and
    /// requests whose headers or body stopped arriving half-way.
    public var idleTimeout: Duration = .seconds(30)
    /// Most connections open at once; further ones wait in the listen backlog until one closes.
    public var maxConnections: Int = 512
    /// When set, every route except /health and /metrics requires `Authorization: Bearer <apiKey>`.
    public var apiKey: String?
    /// The reciprocal rank fusion of `"mode": "hybrid"` searches.
    public var fusion = RankFusion()

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 2 << 20, maxInputsPerRequest: Int = 2048,
        maxK: Int = 1000, modelName: String = "embedtune", batching: BatchingPolicy = BatchingPolicy(),
        searchThreads: Int = 1
    ) {
        precondition(maxBodyBytes > 0 && maxInputsPerRequest > 0 && maxK > 0 && searchThreads > 0,
                     "service limits must be positive")
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxInputsPerRequest = maxInputsPerRequest
        self.maxK = maxK
        self.modelName = modelName
        self.batching = batching
        self.searchThreads = searchThreads
    }
}
