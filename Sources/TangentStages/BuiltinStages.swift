import TangentPipeline

/// The stages shipped with Tangent (the registry sorts them by name).
public enum BuiltinStages {
    public static var all: [any Stage.Type] {
        [
            DataSyntheticStage.self, DataLoadStage.self, DataWhitenStage.self,
            ModelMLPStage.self, ModelLoadStage.self,
            TrainGDStage.self, TrainLangevinStage.self,
            NTKComputeStage.self, NTKSnapshotsStage.self,
            KernelRegressionStage.self,
        ]
    }
}
