import ArgumentParser

@main
struct EmbedTune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedtune",
        abstract: "Contrastive fine-tuning of text-embedding models, and semantic search over SQLite.",
        subcommands: [
            TokenizeCommand.self, EmbedCommand.self, MineCommand.self, TrainCommand.self, MergeCommand.self, EncodeCommand.self,
            SearchCommand.self, EvalCommand.self, ServeCommand.self, PlotCommand.self, GradcheckCommand.self,
        ])
}
