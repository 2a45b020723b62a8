import Foundation
import Testing
@testable import TangentPipeline

@Suite("Slurm job arrays of a sweep")
struct SlurmArrayTests {
    @Test("points pack into elements, and elements split into arrays below MaxArraySize with offsets")
    func chunks() {
        var settings = SlurmArray.Settings()
        settings.pack = 3
        settings.maxParallel = 8
        let array = SlurmArray(tasks: 2500, settings: settings, maxArraySize: 400)
        #expect(array.elements == 834)  // ⌈2500 / 3⌉
        #expect(array.chunks == [.init(offset: 0, count: 400), .init(offset: 400, count: 400), .init(offset: 800, count: 34)])
        #expect(array.chunks.map(array.arraySpec) == ["0-399%8", "0-399%8", "0-33%8"])
        // Every element is covered exactly once: offset + index for index in 0..<count.
        let covered = array.chunks.flatMap { c in (0..<c.count).map { c.offset + $0 } }
        #expect(covered == Array(0..<834))
        settings.maxParallel = nil
        #expect(SlurmArray(tasks: 4, settings: settings, maxArraySize: 1001).arraySpec(.init(offset: 0, count: 2)) == "0-1")
    }

    @Test("the array script runs line SLURM_ARRAY_TASK_ID + offset of the tasks file with the given resources")
    func script() {
        var settings = SlurmArray.Settings()
        settings.maxParallel = 2
        settings.cpusPerTask = 4
        settings.partition = "gpu"
        settings.account = "lab"
        let array = SlurmArray(tasks: 4, settings: settings, maxArraySize: 1001)
        let text = array.script(tangent: "/opt/tangent", tasksFile: "/s/slurm/tasks.jsonl", logs: "/s/slurm/logs",
                                jobName: "tangent-q", directory: "/home/me")
        #expect(text.hasPrefix("#!/bin/bash\n"))
        for line in ["#SBATCH --array=0-3%2", "#SBATCH --cpus-per-task=4", "#SBATCH --partition=gpu", "#SBATCH --account=lab",
                     "#SBATCH --output=/s/slurm/logs/%A_%a.out", "#SBATCH --chdir=/home/me",
                     "index=$((SLURM_ARRAY_TASK_ID + ${TANGENT_ARRAY_OFFSET:-0}))",
                     "exec /opt/tangent run --tasks /s/slurm/tasks.jsonl --index \"$index\" --pack 1 --wait"] {
            #expect(text.contains(line + "\n"), "missing \(line)")
        }
        #expect(!text.contains("--time"))
        let aggregate = array.aggregationScript(tangent: "/opt/tangent", sweepFolder: "/s", logs: "/s/slurm/logs",
                                                jobName: "tangent-q", directory: "/home/me")
        #expect(aggregate.contains("exec /opt/tangent sweep aggregate /s\n"))
        #expect(aggregate.contains("#SBATCH --cpus-per-task=1\n"))
    }

    @Test("MaxArraySize and job ids are read from scontrol and sbatch --parsable output")
    func parsing() {
        let config = "Configuration data as of 2026-11-26T12:00:00\nAccountingStorageType   = (null)\nMaxArraySize            = 1001\nMaxJobCount = 10000\n"
        #expect(SlurmArray.maxArraySize(fromConfig: config) == 1001)
        #expect(SlurmArray.maxArraySize(fromConfig: "MaxJobCount = 5\n") == nil)
        #expect(SlurmArray.jobID(fromParsable: "1234\n") == "1234")
        #expect(SlurmArray.jobID(fromParsable: "1234;cluster\n") == "1234")
        #expect(SlurmArray.jobID(fromParsable: "sbatch: error: invalid partition\n") == nil)
    }
}
