import TangentPipeline

/// The stages shipped with Tangent (the registry sorts them by name).
public enum BuiltinStages {
    public static var all: [any Stage.Type] {
        [
            DataSyntheticStage.self, DataLoadStage.self, DataWhitenStage.self,
            ModelMLPStage.self, ModelLoadStage.self,
            TrainGDStage.self, TrainLangevinStage.self,
            NTKComputeStage.self, NTKSnapshotsStage.self,
            AlignmentStage.self, EigenStage.self, SpecializationStage.self,
            TimescalesStage.self, LossPhasesStage.self,
            KernelRegressionStage.self,
            SpectralStage.self, CoordCheckStage.self,
            NNGPStage.self, NTKLimitStage.self, AdaptiveNTKStage.self, AdaptiveNNGPStage.self,
            ComparePredictorsStage.self,
        ]
    }
}
