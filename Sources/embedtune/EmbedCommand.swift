import ArgumentParser
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "embed")
}
