import Foundation
import Hummingbird
import Retrieval

/// The JSON bodies this service answers with.
enum ResponseBodies {
    /// OpenAI's embeddings response: `{"object":"list","data":[{"object":"embedding",
    /// "embedding":...,"index":i}],"model":...,"usage":{"prompt_tokens":n,"total_tokens":n}}`.
    /// With `.base64`, each embedding is the base64 of its little-endian float32 bytes, as OpenAI
    /// sends it. `vectors` is (count, dimension) row-major and must be finite.
    static func embeddings(
        vectors: [Float], count: Int, dimension: Int, format: EmbeddingsRequest.EncodingFormat, model: String,
        promptTokens: Int
    ) -> ByteBuffer {
        precondition(vectors.count == count * dimension, "\(vectors.count) values for \(count) × \(dimension)")
        let perRow = format == .float ? dimension * 12 : dimension * 4 / 3 + 4
        var json = JSONWriter(capacity: count * (perRow + 48) + 128)
        json.raw("{\"object\":\"list\",\"data\":[")
        for i in 0..<count {
            if i > 0 { json.raw(",") }
            json.raw("{\"object\":\"embedding\",\"index\":")
            json.int(i)
            json.raw(",\"embedding\":")
            let row = vectors[(i * dimension)..<((i + 1) * dimension)]
            switch format {
            case .float:
                json.raw("[")
                for (j, x) in row.enumerated() {
                    if j > 0 { json.raw(",") }
                    json.float(x)
                }
                json.raw("]")
            case .base64:
                json.string(littleEndianBytes(row).base64EncodedString())
            }
            json.raw("}")
        }
        json.raw("],\"model\":")
        json.string(model)
        json.raw(",\"usage\":{\"prompt_tokens\":")
        json.int(promptTokens)
        json.raw(",\"total_tokens\":")
        json.int(promptTokens)
        json.raw("}}")
        return json.buffer
    }

    /// `{"query":...,"results":[{"id":...,"score":...,"text":...}]}`, as `embedtune search --json`.
    static func search(query: String, hits: [SearchResult]) -> ByteBuffer {
        var json = JSONWriter()
        json.raw("{\"query\":")
        json.string(query)
        json.raw(",\"results\":[")
        for (i, hit) in hits.enumerated() {
            if i > 0 { json.raw(",") }
            json.raw("{\"id\":")
            json.string(hit.id)
            json.raw(",\"score\":")
            json.float(hit.score)
            json.raw(",\"text\":")
            json.string(hit.text)
            json.raw("}")
        }
        json.raw("]}")
        return json.buffer
    }

    /// float32 values as little-endian bytes, whatever the host's byte order.
    static func littleEndianBytes(_ values: ArraySlice<Float>) -> Data {
        var data = Data(capacity: values.count * 4)
        for x in values {
            let bits = x.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// A 200 response with a JSON body.
    static func json(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
