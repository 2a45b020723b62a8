import TangentPipeline

/// The stages shipped with Tangent, in the order `tangent stages` groups them (the registry sorts by name).
public enum BuiltinStages {
    public static let all: [any Stage.Type] = [DataLoadStage.self]
}
