using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KvCluster.ApiServer.Registry.Crd;

/// <summary>
/// A CustomResourceDefinition version's structural schema (spec.versions[].schema.openAPIV3Schema), used as
/// kube-apiserver uses it for custom resources: <see cref="Validate"/> answers the field errors kube-openapi's
/// validator reports (converted to field errors the way apiextensions-apiserver converts them), and
/// <see cref="Prune"/> drops the fields the schema does not specify.
/// </summary>
/// <remarks>
/// Paths are kube-openapi's: properties and map keys joined with ".", list items as "[i]" (spec.items[2].name,
/// spec.labels.foo). Detail messages are kube-openapi's ("spec.x in body should match '^a$'"), numbers in them
/// printed as Go's %v prints a float64. A non-string bad value (a number, a count) is carried in
/// <see cref="FieldError.BadValue"/> as its literal text; Kubernetes prints those without quotes.
/// </remarks>
public sealed partial class StructuralSchema
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    private string[] _types = [];
    private bool _nullable;
    private bool _preserveUnknownFields;
    private bool _intOrString;
    private bool _embeddedResource;
    private List<KeyValuePair<string, StructuralSchema>>? _properties;
    private Dictionary<string, StructuralSchema>? _propertyIndex;
    private string[] _required = [];
    private StructuralSchema? _additionalProperties;
    private bool? _additionalPropertiesAllowed;
    private StructuralSchema? _items;
    private List<JsonNode?>? _enum;
    private string? _patternText;
    private Regex? _pattern;
    private double? _minimum;
    private double? _maximum;
    private bool _exclusiveMinimum;
    private bool _exclusiveMaximum;
    private double? _multipleOf;
    private long? _minLength;
    private long? _maxLength;
    private long? _minItems;
    private long? _maxItems;
    private long? _minProperties;
    private long? _maxProperties;
    private bool _uniqueItems;
    private string? _format;

    private StructuralSchema()
    {
    }

    /// <summary>Reads an openAPIV3Schema node (the root and, recursively, every nested schema).</summary>
    public static StructuralSchema Parse(JsonObject openApiV3Schema)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        return ParseNode(openApiV3Schema);
    }

    private static StructuralSchema ParseNode(JsonObject o)
    {
        var s = new StructuralSchema();
        if (o["type"] is JsonValue tv && tv.TryGetValue(out string? t) && t.Length > 0)
        {
            s._types = [t];
        }

        s._nullable = Bool(o, "nullable");
        s._preserveUnknownFields = Bool(o, "x-kubernetes-preserve-unknown-fields");
        s._intOrString = Bool(o, "x-kubernetes-int-or-string");
        s._embeddedResource = Bool(o, "x-kubernetes-embedded-resource");
        if (s._intOrString && s._types.Length == 0)
        {
            // apiextensions-apiserver validates int-or-string as the type list [integer, string].
            s._types = ["integer", "string"];
        }

        if (o["properties"] is JsonObject props)
        {
            s._properties = [];
            s._propertyIndex = new Dictionary<string, StructuralSchema>(StringComparer.Ordinal);
            foreach (var (name, node) in props)
            {
                if (node is JsonObject po)
                {
                    var child = ParseNode(po);
                    s._properties.Add(new KeyValuePair<string, StructuralSchema>(name, child));
                    s._propertyIndex[name] = child;
                }
            }
        }

        if (o["required"] is JsonArray req)
        {
            s._required = [.. req.OfType<JsonValue>().Select(v => v.TryGetValue(out string? r) ? r : null).OfType<string>()];
        }

        switch (o["additionalProperties"])
        {
            case JsonObject ap:
                s._additionalProperties = ParseNode(ap);
                s._additionalPropertiesAllowed = true;
                break;
            case JsonValue apv when apv.TryGetValue(out bool allowed):
                s._additionalPropertiesAllowed = allowed;
                break;
        }

        if (o["items"] is JsonObject items)
        {
            s._items = ParseNode(items);
        }

        if (o["enum"] is JsonArray en)
        {
            s._enum = [.. en.Select(e => e?.DeepClone())];
        }

        if (o["pattern"] is JsonValue pv && pv.TryGetValue(out string? pattern))
        {
            s._patternText = pattern;
            try
            {
                s._pattern = new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
            }
            catch (ArgumentException)
            {
                // A pattern .NET cannot compile is not checked (Kubernetes rejects CRDs whose patterns RE2 cannot compile).
                s._pattern = null;
            }
        }

        s._minimum = Number(o, "minimum");
        s._maximum = Number(o, "maximum");
        s._exclusiveMinimum = Bool(o, "exclusiveMinimum");
        s._exclusiveMaximum = Bool(o, "exclusiveMaximum");
        s._multipleOf = Number(o, "multipleOf");
        s._minLength = Integer(o, "minLength");
        s._maxLength = Integer(o, "maxLength");
        s._minItems = Integer(o, "minItems");
        s._maxItems = Integer(o, "maxItems");
        s._minProperties = Integer(o, "minProperties");
        s._maxProperties = Integer(o, "maxProperties");
        s._uniqueItems = Bool(o, "uniqueItems");
        if (o["format"] is JsonValue fv && fv.TryGetValue(out string? format) && format.Length > 0)
        {
            s._format = format;
        }

        return s;
    }

    private static bool Bool(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue(out bool b) && b;

    private static double? Number(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? AsDouble(v) : null;

    private static long? Integer(JsonObject o, string name)
    {
        var d = Number(o, name);
        return d is { } x ? (long)x : null;
    }

    // ---------------------------------------------------------------- validation

    /// <summary>
    /// Validates a whole custom resource. The root's metadata is not validated here (ObjectMeta has its own rules);
    /// apiVersion and kind are validated only as far as the schema specifies them.
    /// </summary>
    public IReadOnlyList<FieldError> Validate(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var errors = new List<FieldError>();
        ValidateNode(obj, "", errors, isRoot: true);
        return errors;
    }

    private void ValidateNode(JsonNode? value, string path, List<FieldError> errors, bool isRoot = false)
    {
        var actual = JsonTypeOf(value);
        if (value is null)
        {
            if (_types.Length > 0 && !_nullable)
            {
                errors.Add(TypeError(path, "null"));
            }

            return;
        }

        if (_types.Length > 0 && !TypeMatches(actual, value))
        {
            errors.Add(TypeError(path, actual));
        }

        if (value is JsonValue scalar)
        {
            if (actual == "string")
            {
                ValidateString(scalar.GetValue<string>(), path, errors);
            }
            else if (actual is "integer" or "number")
            {
                ValidateNumber(scalar, path, errors);
            }
        }

        if (value is JsonArray array)
        {
            ValidateArray(array, path, errors);
        }

        if (_enum is not null && !_enum.Any(e => JsonNode.DeepEquals(e, value) || NumbersEqual(e, value)))
        {
            var allowed = _enum.Select(e => e is JsonValue ev && ev.TryGetValue(out string? es) ? es : e?.ToJsonString() ?? "null");
            var detail = "supported values: " + string.Join(", ", allowed.Select(GoQuote));
            errors.Add(new FieldError(path, "FieldValueNotSupported", detail, BadValueText(value)) { RawValue = value?.GetValueKind() != JsonValueKind.String });
        }

        if (value is JsonObject obj)
        {
            ValidateObject(obj, path, errors, isRoot);
        }
    }

    private bool TypeMatches(string actual, JsonNode value)
    {
        foreach (var t in _types)
        {
            if (t == actual || (t == "number" && actual == "integer"))
            {
                return true;
            }

            // A JSON number with a zero fraction (1.0) is an integer, as kube-openapi's IsFloat64AJSONInteger decides.
            if (t == "integer" && actual == "number" && value is JsonValue v && IsWholeFloat(AsDouble(v)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWholeFloat(double d) => !double.IsInfinity(d) && !double.IsNaN(d) && Math.Truncate(d) == d && Math.Abs(d) <= 9007199254740992d;

    private FieldError TypeError(string path, string actual) =>
        new(path, "FieldValueTypeInvalid", $"{path} in body must be of type {string.Join(",", _types)}: {GoQuote(actual)}", actual);

    private void ValidateString(string s, string path, List<FieldError> errors)
    {
        long runes = 0;
        foreach (var _ in s.EnumerateRunes())
        {
            runes++;
        }

        if (_maxLength is { } max && runes > max)
        {
            // field.TooLong: the value is omitted from the message.
            errors.Add(new FieldError(path, "FieldValueTooLong", $"may not be more than {max} {(max == 1 ? "byte" : "bytes")}", s));
        }

        if (_minLength is { } min && runes < min)
        {
            errors.Add(FieldError.InvalidValue(path, s, $"{path} in body should be at least {min} chars long"));
        }

        if (_pattern is not null && !SafeMatch(_pattern, s))
        {
            errors.Add(FieldError.InvalidValue(path, s, $"{path} in body should match '{_patternText}'"));
        }

        if (_format is not null && !FormatValid(_format, s))
        {
            errors.Add(new FieldError(path, "FieldValueTypeInvalid", $"{path} in body must be of type {_format}: {GoQuote(s)}", s));
        }
    }

    private static bool SafeMatch(Regex re, string s)
    {
        try
        {
            return re.IsMatch(s);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private void ValidateNumber(JsonValue v, string path, List<FieldError> errors)
    {
        var d = AsDouble(v);
        var bad = BadValueText(v);
        if (_multipleOf is { } m && m > 0)
        {
            var q = d / m;
            if (Math.Abs(q - Math.Round(q)) > 1e-9)
            {
                errors.Add(new FieldError(path, "FieldValueInvalid", $"{path} in body should be a multiple of {GoFloat(m)}", bad) { RawValue = true });
            }
        }

        if (_maximum is { } max && (_exclusiveMaximum ? d >= max : d > max))
        {
            var how = _exclusiveMaximum ? "less than" : "less than or equal to";
            errors.Add(new FieldError(path, "FieldValueInvalid", $"{path} in body should be {how} {GoFloat(max)}", bad) { RawValue = true });
        }

        if (_minimum is { } min && (_exclusiveMinimum ? d <= min : d < min))
        {
            var how = _exclusiveMinimum ? "greater than" : "greater than or equal to";
            errors.Add(new FieldError(path, "FieldValueInvalid", $"{path} in body should be {how} {GoFloat(min)}", bad) { RawValue = true });
        }
    }

    private void ValidateArray(JsonArray array, string path, List<FieldError> errors)
    {
        if (_items is not null)
        {
            for (var i = 0; i < array.Count; i++)
            {
                _items.ValidateNode(array[i], $"{path}[{i}]", errors);
            }
        }

        var count = array.Count;
        if (_minItems is { } min && count < min)
        {
            errors.Add(new FieldError(path, "FieldValueInvalid", $"{path} in body should have at least {min} items", count.ToString(CultureInfo.InvariantCulture)) { RawValue = true });
        }

        if (_maxItems is { } max && count > max)
        {
            errors.Add(new FieldError(path, "FieldValueTooMany", $"must have at most {max} {(max == 1 ? "item" : "items")}", count.ToString(CultureInfo.InvariantCulture)));
        }

        if (_uniqueItems && HasDuplicates(array))
        {
            errors.Add(FieldError.InvalidValue(path, "", $"{path} in body shouldn't contain duplicates"));
        }
    }

    private static bool HasDuplicates(JsonArray array)
    {
        for (var i = 0; i < array.Count; i++)
        {
            for (var j = i + 1; j < array.Count; j++)
            {
                if (JsonNode.DeepEquals(array[i], array[j]) || NumbersEqual(array[i], array[j]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void ValidateObject(JsonObject obj, string path, List<FieldError> errors, bool isRoot)
    {
        // metadata is ObjectMeta's business at the root, not the schema's.
        var count = isRoot ? obj.Count(p => p.Key != "metadata") : obj.Count;
        if (!isRoot && _minProperties is { } minP && count < minP)
        {
            errors.Add(new FieldError(path, "FieldValueInvalid", $"{path} in body should have at least {minP} properties", count.ToString(CultureInfo.InvariantCulture)) { RawValue = true });
        }

        if (!isRoot && _maxProperties is { } maxP && count > maxP)
        {
            errors.Add(new FieldError(path, "FieldValueTooMany", $"must have at most {maxP} {(maxP == 1 ? "item" : "items")}", count.ToString(CultureInfo.InvariantCulture)));
        }

        if (_additionalPropertiesAllowed == false)
        {
            foreach (var (key, _) in obj)
            {
                if ((isRoot && key == "metadata") || _propertyIndex?.ContainsKey(key) == true)
                {
                    continue;
                }

                errors.Add(FieldError.InvalidValue(path, "", $"{Join(path, key)} in body is a forbidden property"));
            }
        }
        else if (_additionalProperties is not null)
        {
            foreach (var (key, v) in obj)
            {
                if ((isRoot && key == "metadata") || _propertyIndex?.ContainsKey(key) == true)
                {
                    continue;
                }

                _additionalProperties.ValidateNode(v, Join(path, key), errors);
            }
        }

        if (_properties is not null)
        {
            foreach (var (name, schema) in _properties)
            {
                if (isRoot && name == "metadata")
                {
                    continue;
                }

                if (obj.TryGetPropertyValue(name, out var v))
                {
                    schema.ValidateNode(v, Join(path, name), errors);
                }
            }
        }

        foreach (var name in _required)
        {
            if (isRoot && name == "metadata")
            {
                continue;
            }

            if (!obj.ContainsKey(name))
            {
                errors.Add(FieldError.Required(Join(path, name)));
            }
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    /// <summary>The JSON type kube-openapi infers for a decoded value: integers without a fraction are "integer".</summary>
    private static string JsonTypeOf(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsIntegerLiteral(v) ? "integer" : "number",
            JsonValueKind.Null => "null",
            _ => "object",
        },
        _ => "object",
    };

    /// <summary>
    /// Whether a JSON number decodes to an int64 the way Kubernetes' JSON decoding does: no fraction, no exponent,
    /// within int64 range (judged on the number's JSON text, so parsed and built nodes agree).
    /// </summary>
    private static bool IsIntegerLiteral(JsonValue v) =>
        long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    /// <summary>A JSON number's value, whether it was parsed (a JsonElement) or built in code (int, long, double...).</summary>
    private static double AsDouble(JsonValue v) => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static bool NumbersEqual(JsonNode? a, JsonNode? b) =>
        a is JsonValue av && b is JsonValue bv
        && av.GetValueKind() == JsonValueKind.Number && bv.GetValueKind() == JsonValueKind.Number
        && AsDouble(av) == AsDouble(bv);

    /// <summary>A bad value as Kubernetes' field errors print it, without the quotes strings get.</summary>
    private static string BadValueText(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number =>
            IsIntegerLiteral(v) ? v.ToJsonString() : GoFloat(AsDouble(v)),
        _ => value.ToJsonString(),
    };

    private static bool FormatValid(string format, string s)
    {
        switch (format)
        {
            case "date-time":
            case "datetime":
                return DateTimeOffset.TryParseExact(s, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            case "date":
                return DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            case "byte":
                return IsBase64(s);
            case "uuid":
                return Regex.IsMatch(s, "^(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", RegexOptions.None, RegexTimeout);
            case "ipv4":
                return System.Net.IPAddress.TryParse(s, out var a4) && a4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && s.Count(c => c == '.') == 3;
            case "ipv6":
                return s.Contains(':') && System.Net.IPAddress.TryParse(s, out var a6) && a6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
            default:
                // int32, int64, float, double and the formats not listed are not checked on strings.
                return true;
        }
    }

    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd't'HH:mm:ssK", "yyyy-MM-dd't'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
    ];

    private static bool IsBase64(string s)
    {
        var buffer = new byte[(s.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(s, buffer, out _) || Convert.TryFromBase64String(s.Replace('-', '+').Replace('_', '/'), buffer, out _);
    }

    /// <summary>Go's %q for a string (the common escapes).</summary>
    internal static string GoQuote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    /// <summary>Go's %v for a float64 (how kube-openapi prints minimum, maximum and multipleOf): 10, 1.5, 1e+06.</summary>
    internal static string GoFloat(double d)
    {
        if (d == 0)
        {
            return "0";
        }

        if (double.IsNaN(d))
        {
            return "NaN";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "+Inf" : "-Inf";
        }

        // Shortest round-trip digits and the decimal exponent, from .NET's shortest round-trip form.
        var r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        string mantissa;
        var exp10 = 0;
        var e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            mantissa = r[..e];
            exp10 = int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        else
        {
            mantissa = r;
        }

        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        var digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        // Decimal point position relative to the start of the significant digits.
        var dp = intPart.Length - leadingZeros + exp10;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return "0";
        }

        // strconv.FormatFloat(f, 'g', -1, 64), which %v uses: exponent form below 1e-4 and from 1e6 on.
        var sign = d < 0 ? "-" : "";
        var x = dp - 1;
        if (x < -4 || x >= 6)
        {
            return sign + ExpForm(digits, x);
        }

        if (dp <= 0)
        {
            return sign + "0." + new string('0', -dp) + digits;
        }

        if (dp >= digits.Length)
        {
            return sign + digits + new string('0', dp - digits.Length);
        }

        return sign + digits[..dp] + "." + digits[dp..];
    }

    private static string ExpForm(string digits, int x)
    {
        var m = digits.Length == 1 ? digits : digits[..1] + "." + digits[1..];
        var es = Math.Abs(x).ToString("00", CultureInfo.InvariantCulture);
        return $"{m}e{(x < 0 ? "-" : "+")}{es}";
    }

    // ---------------------------------------------------------------- pruning

    /// <summary>
    /// Removes, recursively, the fields this schema does not specify, except under
    /// x-kubernetes-preserve-unknown-fields: true. At the root apiVersion, kind and metadata stay and metadata is
    /// not looked into; embedded resources (x-kubernetes-embedded-resource) keep their apiVersion, kind and metadata.
    /// </summary>
    public void Prune(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        PruneObject(obj, isRoot: true);
    }

    private void PruneNode(JsonNode? value)
    {
        switch (value)
        {
            case JsonObject o:
                PruneObject(o, isRoot: false);
                break;
            case JsonArray a when _items is not null:
                foreach (var item in a)
                {
                    _items.PruneNode(item);
                }

                break;
        }
    }

    private void PruneObject(JsonObject obj, bool isRoot)
    {
        var keepsTypeMeta = isRoot || _embeddedResource;
        var keepUnknown = _preserveUnknownFields || (_additionalPropertiesAllowed == true && _additionalProperties is null);
        foreach (var key in obj.Select(p => p.Key).ToList())
        {
            if (keepsTypeMeta && key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }

            if (_propertyIndex is not null && _propertyIndex.TryGetValue(key, out var child))
            {
                child.PruneNode(obj[key]);
            }
            else if (_additionalProperties is not null)
            {
                _additionalProperties.PruneNode(obj[key]);
            }
            else if (!keepUnknown)
            {
                obj.Remove(key);
            }
        }
    }
}
