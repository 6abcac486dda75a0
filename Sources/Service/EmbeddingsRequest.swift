/// The body of `POST /v1/embeddings`, as OpenAI's embeddings API defines it
/// (https://platform.openai.com/docs/api-reference/embeddings/create): `input` a string or an
/// array of strings, `model` echoed back, `encoding_format` `float` (default) or `base64`,
/// `dimensions` (1 to the model's dimension) truncating each embedding to its first `dimensions`
/// values and L2-normalising them, `user` ignored; and, as sentence-transformers' `encode(prompt_name=)`,
/// `prompt_name` naming one of the model's prompts to prepend to every input (default: the model's
/// `default_prompt_name`, if any).
public struct EmbeddingsRequest: Sendable, Equatable, Decodable {
    public enum EncodingFormat: String, Sendable, Decodable {
        case float
        case base64
    }

    public var inputs: [String]
    public var model: String?
    public var encodingFormat: EncodingFormat
    public var dimensions: Int?
    public var promptName: String?

    enum CodingKeys: String, CodingKey {
        case input, model, dimensions, user
        case encodingFormat = "encoding_format"
        case promptName = "prompt_name"
    }

    public init(inputs: [String], model: String? = nil, encodingFormat: EncodingFormat = .float, dimensions: Int? = nil) {
        self.inputs = inputs
        self.model = model
        self.encodingFormat = encodingFormat
        self.dimensions = dimensions
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.input) else {
            throw APIError.invalid("missing required field 'input'", param: "input")
        }
        if let single = try? c.decode(String.self, forKey: .input) {
            inputs = [single]
        } else if let many = try? c.decode([String].self, forKey: .input) {
            inputs = many
        } else if (try? c.decode([Int].self, forKey: .input)) != nil || (try? c.decode([[Int]].self, forKey: .input)) != nil {
            throw APIError.invalid("token-id input is not supported; send 'input' as a string or an array of strings",
                                   param: "input")
        } else {
            throw APIError.invalid("'input' must be a string or an array of strings", param: "input")
        }
        model = try c.decodeIfPresent(String.self, forKey: .model)
        if c.contains(.encodingFormat), try !c.decodeNil(forKey: .encodingFormat) {
            let name = try c.decode(String.self, forKey: .encodingFormat)
            guard let format = EncodingFormat(rawValue: name) else {
                throw APIError.invalid("'encoding_format' must be \"float\" or \"base64\", not \"\(name)\"",
                                       param: "encoding_format")
            }
            encodingFormat = format
        } else {
            encodingFormat = .float
        }
        dimensions = try RequestDecoding.integer(c, .dimensions)
        promptName = try RequestDecoding.string(c, .promptName)
    }

    /// Parses and checks a body: at least one input, at most `maxInputs`, `dimensions` (when
    /// given) in 1...`modelDimension`, the values the model's embeddings have.
    public static func parse(_ body: [UInt8], maxInputs: Int, modelDimension: Int) throws(APIError) -> EmbeddingsRequest {
        let request = try RequestDecoding.decode(EmbeddingsRequest.self, from: body)
        if request.inputs.isEmpty {
            throw APIError.invalid("'input' must not be an empty array", param: "input")
        }
        if request.inputs.count > maxInputs {
            throw APIError.invalid("'input' has \(request.inputs.count) items; at most \(maxInputs) per request",
                                   param: "input")
        }
        if let dimensions = request.dimensions, !(1...max(modelDimension, 1)).contains(dimensions) {
            throw APIError.invalid(
                "'dimensions' must be between 1 and \(modelDimension) (this model's embeddings have \(modelDimension) "
                    + "values), not \(dimensions)", param: "dimensions")
        }
        return request
    }
}
