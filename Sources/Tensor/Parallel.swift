import Dispatch

/// Runs `body(i)` for i in 0..<count on up to `threads` threads; `threads <= 1` runs inline.
/// Work items must be independent (they write disjoint memory).
public func parallelFor(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    if threads <= 1 || count <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        let workers = Swift.min(threads, count)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            while i < count {
                body(i)
                i += workers
            }
        }
    }
}
