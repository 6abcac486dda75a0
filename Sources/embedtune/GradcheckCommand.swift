import ArgumentParser
import Encoder
import Foundation
import Tensor
import Training

struct GradcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check the analytic gradients of the training loss against finite differences.",
        discussion: """
            On a fixed batch of four made-up pairs (no dropout, max length --max-length), a few seeded
            entries of every trainable tensor — the LoRA A and B matrices, or with --full the model's
            weights (a seeded subset of --tensors tensors) — get a central finite difference of the
            InfoNCE loss, (L(w+h) - L(w-h)) / 2h refined by Richardson extrapolation, compared with the gradient of the backward pass.
            Prints the largest relative error |a-n| / max(|a|+|n|, floor) per tensor and exits non-zero
            when one exceeds --threshold. Runs on one thread so that every loss is computed identically.
            Without --adapter a fresh adapter is checked, with its B matrices set to small random values
            (peft starts B at zero, which makes every A gradient exactly zero).
            """)

    @Option(help: "Base model directory (Hugging Face / sentence-transformers layout).") var model: String
    @Option(help: "A peft LoRA adapter directory to check (default: a fresh adapter).") var adapter: String?
    @Flag(help: "Check the gradients of full fine-tuning (every weight) instead of LoRA.") var full = false
    @Option(parsing: .unconditional, help: "Entries checked per tensor.") var samples: Int = 4
    @Option(parsing: .unconditional, help: "With --full, check at most this many tensors (a seeded subset).") var tensors: Int = 24
    @Option(parsing: .unconditional, help: "Fail when a tensor's largest relative error exceeds this.") var threshold: Float = 1e-2
    @Option(parsing: .unconditional, help: "Largest finite-difference step h (h moves the loss by about 1e-3).") var maxStep: Float = 0.05
    @Option(parsing: .unconditional, help: "Denominator floor of the relative error (default: 1000 ε|L|/h, Float32's resolution).") var floor: Float?
    @Option(parsing: .unconditional, help: "Truncate texts at N tokens.") var maxLength: Int = 32
    @Option(parsing: .unconditional, help: "LoRA rank of a fresh adapter.") var loraRank: Int = 8
    @Option(parsing: .unconditional, help: "Similarity scale of the loss.") var scale: Float = 20
    @Option(parsing: .unconditional, help: "Seed for the entries checked and a fresh adapter.") var seed: UInt64 = 42

    /// Most entries checked per tensor: beyond, a check runs for days (and the candidate count overflows).
    static let maximumSamples = 10_000

    func validate() throws {
        guard (1...Self.maximumSamples).contains(samples) else {
            throw ValidationError("--samples must lie in 1...\(Self.maximumSamples) (each entry checked costs two forward passes)")
        }
        guard tensors > 0 else { throw ValidationError("--tensors must be positive") }
        guard threshold > 0 else { throw ValidationError("--threshold must be positive") }
        guard maxStep > 0 else { throw ValidationError("--max-step must be positive") }
        guard maxLength >= 3 else { throw ValidationError("--max-length must be at least 3") }
        guard (1...LoRAConfig.maximumRank).contains(loraRank) else {
            throw ValidationError("--lora-rank must lie in 1...\(LoRAConfig.maximumRank)")
        }
        guard scale.isFinite && scale > 0 else { throw ValidationError("--scale must be a positive finite number") }
        guard threshold.isFinite else { throw ValidationError("--threshold must be finite") }
        guard maxStep.isFinite else { throw ValidationError("--max-step must be finite") }
        if let floor, !(floor.isFinite && floor >= 0) { throw ValidationError("--floor must be a finite number >= 0") }
        guard !(full && adapter != nil) else { throw ValidationError("--full checks the model's weights; drop --adapter") }
    }

    func run() throws {
        let directory = try ModelDirectory(url: URL(fileURLWithPath: model))
        let parameters = try directory.loadParameters()
        var rng = SplitMix64(seed: seed)
        var lora: LoRAAdapter?
        if let adapter {
            lora = try LoRAAdapter(directory: URL(fileURLWithPath: adapter), bert: parameters)
        } else if !full {
            let fresh = LoRAAdapter.initialised(config: LoRAConfig(r: loraRank, dropout: 0), bert: parameters, rng: &rng)
            GradientCheck.randomiseB(fresh, rng: &rng)
            lora = fresh
        }
        let trainable = GradientCheck.model(parameters: parameters, adapter: lora, pooling: directory.pooling)
        let batch = GradientCheck.batch(
            tokenizer: directory.tokenizer, maxLength: min(maxLength, directory.config.maxPositionEmbeddings))
        var options = GradientCheck.Options()
        options.samplesPerTensor = samples
        options.maxTensors = full ? tensors : nil
        options.maximumStep = maxStep
        options.minimumStep = min(options.minimumStep, maxStep)
        options.floor = floor
        options.seed = seed
        let what = full ? "full fine-tuning" : adapter == nil ? "a fresh LoRA adapter (random B)" : "LoRA adapter \(adapter ?? "")"
        print("gradcheck: \(what), \(trainable.trainable.entries.count) trainable tensors, \(samples) entries each")
        var failures = 0
        let results = GradientCheck.run(model: trainable, batch: batch, loss: InfoNCELoss(scale: scale), options: options) { r in
            let worst = r.samples.max { $0.relativeError < $1.relativeError }
            // A NaN error (a non-finite loss or gradient) fails like a large one.
            let failed = !(r.maxRelativeError <= threshold)
            let verdict = failed ? "FAIL" : "ok"
            print(String(format: "%-4@ %.2e  %@", verdict, r.maxRelativeError, r.name)
                + (worst.map { String(format: "  (analytic %.4e, numeric %.4e, floor %.1e)", $0.analytic, $0.numeric, $0.floor) } ?? ""))
            if failed { failures += 1 }
        }
        let worst = results.map(\.maxRelativeError).reduce(0) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
        print(String(format: "gradcheck: %d tensors, largest relative error %.2e, threshold %.0e: ", results.count, worst, threshold)
            + (failures == 0 ? "passed" : "\(failures) failed"))
        if failures > 0 { throw ExitCode(1) }
    }
}
