import CBLAS
import CSIMD

/// The kernel set OpenBLAS chose for this CPU, and the one it should have chosen.
///
/// A DYNAMIC_ARCH OpenBLAS (Debian's, Ubuntu's) picks its kernels once, when the library loads, from
/// the CPU's family and model — or from the environment variable `OPENBLAS_CORETYPE`. A model newer
/// than the release knows (0.3.21, Debian 12, on Intel Emerald Rapids) falls back to `Prescott`, the
/// SSE3 kernels: sgemm then runs at 29 GFLOP/s on a core where `SkylakeX`'s reach 142, and every
/// OpenBLAS product (full fine-tuning, small encodes, search scans) is five times slower. The choice
/// cannot be changed after load, so the CLI starts itself again with `OPENBLAS_CORETYPE` set
/// (`EmbedTune.main`); a library user on such a CPU sets the variable before the process starts.
public enum OpenBLASCore {
    /// OpenBLAS's name for the kernels it uses ("SkylakeX", "Haswell", "Zen", "Prescott", ...).
    public static var name: String {
        guard let name = openblas_get_corename() else { return "" }
        return String(cString: name)
    }

    /// The kernel sets older than AVX2 + FMA, which OpenBLAS falls back to for a CPU it does not know.
    static let generic: Set<String> = [
        "Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn", "Dunnington", "Nehalem",
        "Atom", "Sandybridge", "Unknown", "",
    ]

    /// The `OPENBLAS_CORETYPE` this CPU should run with, or nil when OpenBLAS's own choice is right:
    /// `SkylakeX` where the kernels may use AVX-512, `Haswell` where AVX2 + FMA, when OpenBLAS took a
    /// generic set. Follows `EMBEDTUNE_CPU` (`embedtune_cpu_features`), so `portable` leaves OpenBLAS as
    /// it is.
    public static func better(than current: String = name, features: Int32 = embedtune_cpu_features()) -> String? {
        guard generic.contains(current) else { return nil }
        if features & Int32(EMBEDTUNE_CPU_AVX512) != 0 { return "SkylakeX" }
        if features & Int32(EMBEDTUNE_CPU_AVX2) != 0 { return "Haswell" }
        return nil
    }
}
