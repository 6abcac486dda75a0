/// An option whose value turns out wrong only once the command runs (a `--prompt-name` the model does
/// not define): a usage error, exit 64 like ArgumentParser's `ValidationError`, but without the usage
/// text, which says nothing about a value that parsed well (`EmbedTune.main`).
struct OptionRefusal: Error, CustomStringConvertible {
    var description: String

    /// EX_USAGE, as ArgumentParser's validation errors.
    static let exitCode: Int32 = 64
}
