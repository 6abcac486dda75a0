import CBLAS

/// Whether a `gemm` operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed

    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// The one matrix product of the project, row-major, over `cblas_sgemm`:
/// `c = alpha * op(a) @ op(b) + beta * c` with op(a) (m, k), op(b) (k, n), c (m, n).
/// Leading dimensions default to a dense layout of the stored (untransposed) matrices.
@inlinable
public func gemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    if m == 0 || n == 0 { return }
    let lda = lda ?? (transA == .none ? k : m)
    let ldb = ldb ?? (transB == .none ? n : k)
    let ldc = ldc ?? n
    cblas_sgemm(
        CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Threads OpenBLAS may use inside one `gemm`.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// Sets `n` and returns the count it replaces, for the caller to `set` again when done.
    public static func exchange(_ n: Int) -> Int {
        let previous = current
        set(n)
        return previous
    }
}
