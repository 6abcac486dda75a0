import ArgumentParser
import Encoder

/// `--prompt-name` / `--prompt`: the prompt prepended to the texts a command embeds for one side of
/// retrieval, as sentence-transformers' `encode(prompt_name=..., prompt=...)`. Without either, a model
/// that defines prompts (`config_sentence_transformers.json`) gets its own: "query" for queries,
/// "document"/"passage"/"corpus" for documents, else its `default_prompt_name`.
struct PromptOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Name of one of the model's prompts (config_sentence_transformers.json) to prepend.", valueName: "name"))
    var promptName: String?
    @Option(help: ArgumentHelp("A prompt text to prepend (instead of --prompt-name).", valueName: "text"))
    var prompt: String?

    func validate() throws {
        if promptName != nil && prompt != nil { throw ValidationError("give --prompt-name or --prompt, not both") }
    }

    /// The prompt for texts of `role` (nil: the command's own texts, no role) with the model in `directory`.
    func resolve(_ directory: ModelDirectory, role: PromptRole?) throws -> String? {
        do {
            return try directory.prompts.resolve(prompt: prompt, name: promptName, role: role)
        } catch {
            throw OptionRefusal(description: "--prompt-name: \(error)")
        }
    }
}
