using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// An error answered as a Kubernetes Status body, with Kubernetes' reason, code and message wording
/// (clients, kubectl included, match on reason and code).
/// </summary>
public sealed class ApiException(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; init; }

    /// <summary>"pods" for the core group, "deployments.apps" otherwise, as Kubernetes qualifies resources in messages.</summary>
    public static string Qualified(ResourceKind kind) => kind.Group.Length == 0 ? kind.Plural : $"{kind.Plural}.{kind.Group}";

    private static JsonObject NameDetails(ResourceKind kind, string name)
    {
        var d = new JsonObject { ["name"] = name };
        if (kind.Group.Length > 0)
        {
            d["group"] = kind.Group;
        }

        d["kind"] = kind.Plural;
        return d;
    }

    public static ApiException NotFound(ResourceKind kind, string name) =>
        new(404, "NotFound", $"{Qualified(kind)} \"{name}\" not found") { Details = NameDetails(kind, name) };

    public static ApiException AlreadyExists(ResourceKind kind, string name) =>
        new(409, "AlreadyExists", $"{Qualified(kind)} \"{name}\" already exists") { Details = NameDetails(kind, name) };

    public static ApiException Conflict(ResourceKind kind, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(kind)} \"{name}\": {why}") { Details = NameDetails(kind, name) };

    public const string ModifiedMessage = "the object has been modified; please apply your changes to the latest version and try again";

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json; got {contentType}");

    public static ApiException Expired(string message) => new(410, "Expired", message);

    public static ApiException Gone(string message) => new(410, "Gone", message);

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiException TooLarge() => new(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");

    public static ApiException Forbidden(ResourceKind kind, string name, string why) =>
        new(403, "Forbidden", $"{Qualified(kind)} \"{name}\" is forbidden: {why}") { Details = NameDetails(kind, name) };

    public static ApiException NotAcceptable(string message) => new(406, "NotAcceptable", message);

    /// <summary>422 Invalid with one cause per field error, as Kubernetes' field.ErrorList renders them.</summary>
    public static ApiException Invalid(ResourceKind kind, string name, IReadOnlyList<FieldError> errors) => Invalid(kind.Group, kind.Kind, name, errors);

    /// <summary>422 Invalid of a kind that is not a resource (PodLogOptions, DeleteOptions).</summary>
    public static ApiException Invalid(string group, string kind, string name, IReadOnlyList<FieldError> errors)
    {
        var causes = new JsonArray();
        foreach (var e in errors)
        {
            causes.Add(new JsonObject { ["reason"] = e.Reason, ["message"] = e.Message, ["field"] = e.Field });
        }

        var joined = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors) + "]";
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0)
        {
            details["group"] = group;
        }

        details["kind"] = kind;
        details["causes"] = causes;
        return new ApiException(422, "Invalid", $"{kind} \"{name}\" is invalid: {joined}") { Details = details };
    }

    public JsonObject ToStatus()
    {
        var s = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
        };
        if (Reason.Length > 0)
        {
            // A plain error (kube-apiserver's StatusReasonUnknown) has no reason.
            s["reason"] = Reason;
        }

        if (Details is not null)
        {
            s["details"] = Details.DeepClone();
        }

        s["code"] = Code;
        return s;
    }
}

/// <summary>One field error of a 422 Invalid (Kubernetes' field.Error): "spec.containers: Required value".</summary>
public sealed record FieldError(string Field, string Reason, string Detail, string? BadValue = null)
{
    /// <summary>The bad value is printed as it is (a number, a boolean, a count), not quoted as a string.</summary>
    public bool RawValue { get; init; }

    public static FieldError Required(string field, string detail = "") => new(field, "FieldValueRequired", detail);

    public static FieldError InvalidValue(string field, string value, string detail) => new(field, "FieldValueInvalid", detail, value);

    public static FieldError Forbidden(string field, string detail) => new(field, "FieldValueForbidden", detail);

    public static FieldError Immutable(string field, string value) => new(field, "FieldValueInvalid", "field is immutable", value);

    /// <summary>The cause's message: what went wrong, without the field.</summary>
    public string Message => Reason switch
    {
        "FieldValueRequired" => Detail.Length == 0 ? "Required value" : "Required value: " + Detail,
        "FieldValueNotSupported" => $"Unsupported value: {Shown}: {Detail}",
        "FieldValueDuplicate" => $"Duplicate value: {Shown}",
        "FieldValueForbidden" => "Forbidden: " + Detail,
        "FieldValueTooLong" => "Too long: " + Detail,
        "FieldValueTooMany" => $"Too many: {BadValue}: {Detail}",
        _ => $"Invalid value: {Shown}: {Detail}",
    };

    private string Shown => RawValue ? BadValue ?? "null" : $"\"{BadValue}\"";

    public override string ToString() => $"{Field}: {Message}";
}
