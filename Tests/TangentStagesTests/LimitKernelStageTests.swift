import Foundation
import Testing
import TangentCore
import TangentNTK
import TangentPipeline
@testable import TangentStages

/// A small two-class digits task, every kernel stage and a mean-field network, compared in one table.
let adaptiveKernelPipeline = """
pipeline: ak
seed: 1
stages:
  data: { use: data.load, with: { dataset: digits, classes: [3, 8], per_class: 15, test_per_class: 15, encoding: plusminus, normalize: standardize } }
  nngp: { use: kernel.nngp, from: { data: data }, with: { ridge: 0.1 } }
  ntk:  { use: kernel.ntk_limit, from: { data: data }, with: { ridge: 2.0 } }
  antk: { use: kernel.adaptive_ntk, from: { data: data }, with: { gamma: 2.0, weight_decay: 1.0, samples: 1000, max_time: 2 } }
  anbk: { use: kernel.adaptive_nngp, from: { data: data }, with: { gamma: 0.3, beta: 10, samples: 4000, max_iterations: 20 } }
  deep: { use: kernel.adaptive_nngp, from: { data: data }, with: { gamma: 0.5, beta: .inf, depth: 3, activation: linear } }
  model: { use: model.mlp, from: { data: data }, with: { hidden: [256], parametrization: meanfield, gamma0: 2.0 } }
  net:  { use: train.gd, from: { data: data, model: model }, with: { learning_rate: 0.01, steps: 200, loss: sum, weight_decay: 1.0, snapshots: { log_spaced: 2 } } }
  compare: { use: analysis.compare_predictors, from: { predictors: [nngp, ntk, antk, anbk, deep, net], data: data } }
"""

@Suite("kernel.* stages and analysis.compare_predictors")
struct LimitKernelStageTests {
    @Test("every kernel stage writes its kernels and predictions, and the comparison table lists each predictor")
    func endToEnd() throws {
        let (result, folder) = try runPipeline(adaptiveKernelPipeline)
        for id in ["nngp", "ntk", "antk", "anbk", "deep"] {
            let table = try #require(result.artifacts[id])
            #expect(try matrix(table, "train").shape == (30, 30), "\(id)")
            #expect(try matrix(table, "test").shape == (30, 30), "\(id)")
            #expect(try matrix(table, "predictions").shape == (30, 1), "\(id)")
            #expect(table.summary["test_mse"]?.doubleValue != nil, "\(id)")
        }
        // The stage's kernel is the closed form of the library function on the same data.
        let data = try dataset(adaptiveKernelPipeline, "data")
        let limit = try infiniteWidthKernels(data.trainInputs, data.trainInputs, architecture: LimitArchitecture(depth: 1, activation: .relu))
        #expect(try matrix(try #require(result.artifacts["nngp"]), "train").relativeDifference(to: limit.nngp) < 1e-14)
        #expect(try matrix(try #require(result.artifacts["ntk"]), "train").relativeDifference(to: limit.ntk) < 1e-14)
        // Deep linear: L layer kernels; aNTK: convergence history and Φ.
        #expect(try #require(result.artifacts["deep"]).arrays["layer_kernels"]?.shape == [3, 30, 30])
        let convergence = try String(contentsOf: folder.appendingPathComponent("antk/convergence.csv"), encoding: .utf8)
        #expect(convergence.hasPrefix("iteration,time,residual,train_mse\n"))
        let csv = try String(contentsOf: folder.appendingPathComponent("compare/table.csv"), encoding: .utf8)
        let names = csv.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(names == ["nngp", "ntk", "antk", "anbk", "deep", "net"])
        // The table's test MSE is the kernel stage's own.
        let compare = try #require(result.artifacts["compare"])
        let antk = try #require(compare.summary["predictors"]?.objectValue?["antk"]?.objectValue?["test_mse"]?.doubleValue)
        #expect(antk == result.artifacts["antk"]?.summary["test_mse"]?.doubleValue)
    }

    @Test("validation refuses deep nonlinear aNBK, an odd number of DMFT draws and β = .inf elsewhere")
    func refusals() throws {
        let base = "pipeline: v\nstages:\n  data: { use: data.load, with: { dataset: digits, classes: [3, 8], per_class: 5, encoding: plusminus } }\n"
        let deep = try #require(try validationError(base + "  a: { use: kernel.adaptive_nngp, from: { data: data }, with: { depth: 2, activation: relu } }\n"))
        #expect(deep.field.hasSuffix("depth"))
        let odd = try #require(try validationError(base + "  a: { use: kernel.adaptive_ntk, from: { data: data }, with: { samples: 1001 } }\n"))
        #expect(odd.field.hasSuffix("samples"))
        let inf = try #require(try validationError(base + "  a: { use: kernel.nngp, from: { data: data }, with: { ridge: .inf } }\n"))
        #expect(inf.field.hasSuffix("ridge"))
        // Draws that cannot fit are refused before anything runs, naming them and the remedy.
        let huge = try validationDiagnostics(base + "  a: { use: kernel.adaptive_ntk, from: { data: data }, with: { samples: 10000000 } }\n")
        let memory = try #require(huge.first)
        #expect(memory.message.contains("10000000 neuron draws"), "\(memory.message)")
        #expect(memory.suggestion?.contains("lower `samples`") == true, "\(memory.suggestion ?? "")")
    }
}
