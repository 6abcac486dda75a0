import CBLAS

/// Whether a `gemm` operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed

    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// The one matrix product of the project, row-major, over `cblas_sgemm`:
/// `c = alpha * op(a) @ op(b) + beta * c` with op(a) (m, k), op(b) (k, n), c (m, n).
/// Leading dimensions default to a dense layout of the stored (untransposed) matrices.
///
/// Threads: `context.threads`. A product of at least `splitWork`
/// multiply-adds is cut into that many blocks of rows of c (or of columns, when c is wide and
/// short), each one single-threaded OpenBLAS call on a worker. A given thread count gives the same
/// bits every time; different counts agree to float rounding (OpenBLAS picks its kernels by the
/// shape of each block).
public func gemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
    context: ComputeContext
) {
    if m == 0 || n == 0 { return }
    _ = ComputeContext.openBLASPinned
    let lda = lda ?? (transA == .none ? k : m)
    let ldb = ldb ?? (transB == .none ? n : k)
    let ldc = ldc ?? n
    func product(rows: Range<Int>, columns: Range<Int>) {
        // op(a) row i: a + i * lda stored as is, column i of a (a + i) transposed; op(b) column j likewise.
        let aRows = transA == .none ? a + rows.lowerBound * lda : a + rows.lowerBound
        let bColumns = transB == .none ? b + columns.lowerBound : b + columns.lowerBound * ldb
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas, Int32(rows.count), Int32(columns.count), Int32(k),
            alpha, aRows, Int32(lda), bColumns, Int32(ldb), beta, c + rows.lowerBound * ldc + columns.lowerBound, Int32(ldc))
    }
    let threads = context.threads
    guard threads > 1, m * n * k >= splitWork else {
        product(rows: 0..<m, columns: 0..<n)
        return
    }
    // Blocks of whole 16-row (or 16-column) panels along the longer side of c.
    let alongRows = m >= n
    let length = alongRows ? m : n
    let panels = (length + 15) / 16
    let parts = Swift.min(threads, panels)
    guard parts > 1 else {
        product(rows: 0..<m, columns: 0..<n)
        return
    }
    nonisolated(unsafe) let run = product
    parallelFor(parts, threads: parts) { p in
        let lo = Swift.min(length, panels * p / parts * 16), hi = Swift.min(length, panels * (p + 1) / parts * 16)
        guard lo < hi else { return }
        if alongRows { run(lo..<hi, 0..<n) } else { run(0..<m, lo..<hi) }
    }
}

/// Multiply-adds from which `gemm` splits a product over its context's threads
/// (below it a worker's start-up costs more than it saves).
public let splitWork = 1 << 18
