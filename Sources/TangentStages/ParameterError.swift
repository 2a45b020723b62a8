import TangentPipeline

/// A stage's complaint about a parameter value (or a combination) that its schema cannot express: a
/// `stageFailed` error whose message names the parameter and says what to do.
func parameterError(_ name: String, _ message: String) -> PipelineError {
    PipelineError(.stageFailed, "parameter `\(name)`: \(message)")
}
