/// The schema of a stage (or parameter group), derived by reflection from its `@Param` and `@Input` declarations,
/// in declaration order.
enum StageSchema {
    static func parameters(of instance: Any) -> [Parameter] {
        Mirror(reflecting: instance).children.flatMap { child -> [Parameter] in
            if let group = child.value as? any IncludedParameters { return parameters(of: group.group) }
            guard let declared = child.value as? any DeclaredParameter, let label = child.label else { return [] }
            return [declared.declaration.parameter(named: propertyName(label))]
        }
    }

    static func inputs(of instance: Any) -> [InputSlot] {
        Mirror(reflecting: instance).children.flatMap { child -> [InputSlot] in
            if let group = child.value as? any IncludedInputs { return inputs(of: group.group) }
            guard let declared = child.value as? any DeclaredInput, let label = child.label else { return [] }
            return [declared.slot(named: propertyName(label))]
        }
    }

    /// The current values of a group's parameters, by parameter name.
    static func values(of instance: Any) -> [String: Value] {
        var out: [String: Value] = [:]
        for child in Mirror(reflecting: instance).children {
            if let group = child.value as? any IncludedParameters { out.merge(values(of: group.group)) { a, _ in a } }
            guard let declared = child.value as? any DeclaredParameter, let label = child.label else { continue }
            out[declared.declaration.parameter(named: propertyName(label)).name] = declared.currentValue
        }
        return out
    }

    /// Property name → parameter or slot name in files, for the decoder.
    static func fileNames(of instance: Any) -> [String: String] {
        var out: [String: String] = [:]
        for child in Mirror(reflecting: instance).children {
            guard let label = child.label else { continue }
            let property = propertyName(label)
            if let declared = child.value as? any DeclaredParameter {
                out[property] = declared.declaration.parameter(named: property).name
            } else if let declared = child.value as? any DeclaredInput {
                out[property] = declared.slot(named: property).name
            }
        }
        return out
    }

    /// Property wrappers' storage is labelled `_name`.
    private static func propertyName(_ label: String) -> String {
        label.hasPrefix("_") ? String(label.dropFirst()) : label
    }
}

/// A `@Param` seen through reflection.
protocol DeclaredParameter {
    var declaration: ParameterDeclaration { get }
    /// The value it holds (its default, in a schema instance), as written in a file; null when required.
    var currentValue: Value { get }
}

extension Param: DeclaredParameter {
    var currentValue: Value { writtenValue ?? .null }
}

/// A `@Params` group seen through reflection.
protocol IncludedParameters {
    var group: Any { get }
}

extension Params: IncludedParameters {
    var group: Any { wrappedValue }
}

/// An `@Inputs` group seen through reflection.
protocol IncludedInputs {
    var group: Any { get }
}

extension Inputs: IncludedInputs {
    var group: Any { wrappedValue }
}

/// An `@Input` seen through reflection.
protocol DeclaredInput {
    func slot(named property: String) -> InputSlot
}

extension Input: DeclaredInput {
    func slot(named property: String) -> InputSlot {
        InputSlot(name ?? snakeCase(property), kind: T.slotKind, required: T.isRequired,
                  many: T.takesMany, doc: doc)
    }
}
