import TangentCore
/// Builds a stage (or parameter group) struct from validated parameter values and its input bindings, through the
/// `Decodable` conformance Swift synthesizes for the struct: each `@Param` and `@Input` storage is decoded by its
/// property name, which the decoder maps to the name used in files.
enum StageDecoder {
    /// What an input slot receives: the upstream shapes (always) and folders (when running).
    struct InputBinding {
        var shapes: [any Sendable]
        var folders: [ArtifactFolder]?
    }

    static func decode<T: Decodable>(_ type: T.Type, parameters: [String: Value], inputs: [String: InputBinding],
                                     defaultInstance: Any? = nil) throws -> T {
        let names = defaultInstance.map(StageSchema.fileNames(of:)) ?? [:]  // property → file name
        let decoder = Decoding(parameters: parameters, inputs: inputs, names: names)
        return try T(from: decoder)
    }

    static func decodeStage<S: Stage>(_ type: S.Type, parameters: [String: Value],
                                      inputs: [String: InputBinding]) throws -> S {
        try decode(S.self, parameters: parameters, inputs: inputs, defaultInstance: S())
    }

    fileprivate struct Decoding: Decoder {
        let parameters: [String: Value]
        let inputs: [String: InputBinding]
        let names: [String: String]
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            KeyedDecodingContainer(Container<Key>(decoding: self))
        }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw unsupported() }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { throw unsupported() }

        func fileName(_ key: any CodingKey) -> String {
            let property = key.stringValue.hasPrefix("_") ? String(key.stringValue.dropFirst()) : key.stringValue
            return names[property] ?? snakeCase(property)
        }
    }

    fileprivate struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoding: Decoding
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }

        func contains(_ key: Key) -> Bool { true }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let name = decoding.fileName(key)
            if let parameter = type as? any DecodableParameter.Type {
                guard let value = decoding.parameters[name] else {
                    throw PipelineError(.artifact, "internal error: no validated value for parameter `\(name)`")
                }
                return try cast(parameter.decoded(name: name, value: value), T.self)
            }
            if let group = type as? any DecodableGroup.Type {
                return try cast(group.decoded(parameters: decoding.parameters), T.self)
            }
            if let group = type as? any DecodableInputGroup.Type {
                return try cast(group.decoded(inputs: decoding.inputs), T.self)
            }
            if let input = type as? any DecodableInput.Type {
                return try cast(input.decoded(slot: name, binding: decoding.inputs[name]), T.self)
            }
            throw PipelineError(.artifact, "internal error: stage property `\(key.stringValue)` is neither @Param nor @Input; "
                                + "a stage's stored properties must all be declared with one of them")
        }

        func decodeNil(forKey key: Key) throws -> Bool { false }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            throw unsupported()
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { throw unsupported() }
        func superDecoder() throws -> any Decoder { throw unsupported() }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw unsupported() }
    }
}

private func cast<T>(_ value: Any, _: T.Type) throws -> T {
    guard let typed = value as? T else { throw PipelineError(.artifact, "internal error: decoded \(type(of: value)) as \(T.self)") }
    return typed
}

private func unsupported() -> PipelineError {
    PipelineError(.artifact, "internal error: stages and parameter groups are decoded only through @Param and @Input")
}

/// `Param<V>` as the decoder builds it.
protocol DecodableParameter {
    static func decoded(name: String, value: Value) throws -> Any
}

extension Param: DecodableParameter, Decodable {
    static func decoded(name: String, value: Value) throws -> Any {
        Param(decoded: try T(parameter: value), name: name,
              declaration: ParameterDeclaration(doc: "", name: name, minimum: nil, maximum: nil,
                                                type: T.parameterType, nullable: T.isNullable, defaultValue: nil))
    }

    public init(from decoder: any Decoder) throws { throw unsupported() }
}

/// `Params<G>` as the decoder builds it: the group's fields come from the stage's own parameters.
protocol DecodableGroup {
    static func decoded(parameters: [String: Value]) throws -> Any
}

extension Params: DecodableGroup, Decodable {
    static func decoded(parameters: [String: Value]) throws -> Any {
        Params(wrappedValue: try StageDecoder.decode(G.self, parameters: parameters, inputs: [:], defaultInstance: G()))
    }

    public init(from decoder: any Decoder) throws { throw unsupported() }
}

/// `Inputs<G>` as the decoder builds it: the group's slots come from the stage's own inputs.
protocol DecodableInputGroup {
    static func decoded(inputs: [String: StageDecoder.InputBinding]) throws -> Any
}

extension Inputs: DecodableInputGroup, Decodable {
    static func decoded(inputs: [String: StageDecoder.InputBinding]) throws -> Any {
        Inputs(wrappedValue: try StageDecoder.decode(G.self, parameters: [:], inputs: inputs, defaultInstance: G()))
    }

    public init(from decoder: any Decoder) throws { throw unsupported() }
}

/// `Input<V>` as the decoder builds it.
protocol DecodableInput {
    static func decoded(slot: String, binding: StageDecoder.InputBinding?) throws -> Any
}

extension Input: DecodableInput, Decodable {
    static func decoded(slot: String, binding: StageDecoder.InputBinding?) throws -> Any {
        let shape = try T.shape(upstream: binding?.shapes ?? [])
        let value = try binding?.folders.map { try T.load(upstream: $0) }
        return Input(slot: slot, doc: "", shape: shape, value: value)
    }

    public init(from decoder: any Decoder) throws { throw unsupported() }
}

