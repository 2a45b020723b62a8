import TangentNTK
import TangentPipeline

// Science enums that stage parameters take by name (their raw values are the names in pipeline files).
extension Activation: ParameterChoice {}
extension Parametrization: ParameterChoice {}
extension LossNormalization: ParameterChoice {}
extension TargetEncoding: ParameterChoice {}
extension WhiteningStatistics: ParameterChoice {}
extension NTKOptions.Weighting: ParameterChoice {}
extension OptimizerSettings.Kind: ParameterChoice {}
extension SpecializationNormalization: ParameterChoice {}
extension ShippedDataset: ParameterChoice {}
