import ArgumentParser
import Foundation
import Store

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete documents from a vector store by id.",
        discussion: """
            The ids come from --id (repeatable) or, without --id, one per line of standard input. They are
            deleted in one transaction; the lexical index and the search index file follow. Ids the store does not hold are counted,
            not an error. To delete every document that a corpus file no longer holds, use `encode --sync`.
            """)

    @Option(help: "The SQLite vector store (must exist).") var db: String
    @Option(help: "A document id to delete (repeat for more; omit to read ids from standard input).") var id: [String] = []
    @Flag(help: "Print the counts as one JSON object.") var json = false

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: db, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw StoreError.cannotOpen(path: db, reason: "no such vector store file (delete never creates one)")
        }
        let ids = id.isEmpty ? try StandardInput.readLines().filter { !$0.isEmpty } : id
        let store = try VectorStore(path: db)
        let deleted = try store.delete(ids: ids)
        // The search index follows (a deletion of nothing leaves a current index current).
        if case .failure = try store.mappedIndex() { try store.writeIndex() }
        let stored = try store.count()
        if json {
            print("{\"requested\":\(ids.count),\"deleted\":\(deleted),\"stored\":\(stored)}")
        } else {
            FileHandle.standardError.write(Data(
                "\(TerminalText.escaped(db)): \(deleted) deleted, \(ids.count - deleted) not found; \(stored) documents stored\n".utf8))
        }
    }
}
