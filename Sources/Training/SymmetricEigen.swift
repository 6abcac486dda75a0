/// Eigenvalues and eigenvectors of a real symmetric matrix by the cyclic Jacobi method (Golub & Van
/// Loan, "Matrix Computations", §8.5): plane rotations zero the off-diagonal entries one pair at a
/// time until they are negligible. O(n³) per sweep and a handful of sweeps; for the few-hundred-wide
/// matrices here (an embedding's second moments) that is well under a second, and it needs no LAPACK.
///
/// Sizes: N the matrix order.
public struct SymmetricEigen: Sendable {
    /// (N), in descending order.
    public let values: [Double]
    /// (N, N) row-major: row i is the unit eigenvector of `values[i]`, its largest-magnitude entry
    /// positive (so the result does not depend on the solver's sign choices).
    public let vectors: [Double]
    public let order: Int

    /// `matrix` (N, N) row-major, symmetric (only the upper triangle is read).
    public init(matrix: [Double], order n: Int, maxSweeps: Int = 60) {
        precondition(n > 0 && matrix.count == n * n, "matrix must be (\(n), \(n))")
        var a = matrix  // (N, N), symmetrised below
        for i in 0..<n { for j in (i + 1)..<n { a[j * n + i] = a[i * n + j] } }
        var v = [Double](repeating: 0, count: n * n)  // (N, N) columns: eigenvectors
        for i in 0..<n { v[i * n + i] = 1 }
        a.withUnsafeMutableBufferPointer { a in
            v.withUnsafeMutableBufferPointer { v in
                for _ in 0..<maxSweeps {
                    var off = 0.0, diagonal = 0.0
                    for i in 0..<n {
                        diagonal += a[i * n + i] * a[i * n + i]
                        for j in (i + 1)..<n { off += a[i * n + j] * a[i * n + j] }
                    }
                    if off <= 1e-30 * max(diagonal, 1e-300) { break }
                    for p in 0..<(n - 1) {
                        for q in (p + 1)..<n { Self.rotate(a: a, v: v, p: p, q: q, n: n) }
                    }
                }
            }
        }
        let ranked = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] || (a[$0 * n + $0] == a[$1 * n + $1] && $0 < $1) }
        var vectors = [Double](repeating: 0, count: n * n)
        for (row, k) in ranked.enumerated() {
            var largest = 0
            for i in 0..<n where abs(v[i * n + k]) > abs(v[largest * n + k]) { largest = i }
            let sign: Double = v[largest * n + k] < 0 ? -1 : 1
            for i in 0..<n { vectors[row * n + i] = sign * v[i * n + k] }
        }
        values = ranked.map { a[$0 * n + $0] }
        self.vectors = vectors
        order = n
    }

    /// One Jacobi rotation in the (p, q) plane making a[p][q] zero: A ← Jᵀ A J, V ← V J.
    private static func rotate(a: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>, p: Int, q: Int, n: Int) {
        let apq = a[p * n + q]
        guard abs(apq) > 1e-300 else { return }
        let app = a[p * n + p], aqq = a[q * n + q]
        // tan of the angle that zeroes a[p][q], the smaller root for stability (Golub & Van Loan 8.5.2)
        let theta = (aqq - app) / (2 * apq)
        let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        for k in 0..<n {  // columns p and q
            let akp = a[k * n + p], akq = a[k * n + q]
            a[k * n + p] = c * akp - s * akq
            a[k * n + q] = s * akp + c * akq
        }
        for k in 0..<n {  // rows p and q
            let apk = a[p * n + k], aqk = a[q * n + k]
            a[p * n + k] = c * apk - s * aqk
            a[q * n + k] = s * apk + c * aqk
        }
        a[p * n + q] = 0
        a[q * n + p] = 0
        for k in 0..<n {
            let vkp = v[k * n + p], vkq = v[k * n + q]
            v[k * n + p] = c * vkp - s * vkq
            v[k * n + q] = s * vkp + c * vkq
        }
    }
}
