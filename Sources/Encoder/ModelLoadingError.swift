/// Why a model or adapter directory could not be loaded; every case names the file at fault.
public enum ModelLoadingError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case malformedFile(file: String, reason: String)
    case invalidField(file: String, field: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case wrongShape(file: String, tensor: String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingFile(let f): return "\(f): file not found"
        case .malformedFile(let f, let r): return "\(f): \(r)"
        case .invalidField(let f, let field, let r): return "\(f): field \"\(field)\" \(r)"
        case .missingTensor(let f, let t): return "\(f): tensor \"\(t)\" is missing"
        case .wrongShape(let f, let t, let e, let s): return "\(f): tensor \"\(t)\" has shape \(s), expected \(e)"
        }
    }
}
