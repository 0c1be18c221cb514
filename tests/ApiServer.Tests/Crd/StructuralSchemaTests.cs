using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry.Crd;

namespace KvCluster.ApiServer.Tests.Crd;

public sealed class StructuralSchemaTests
{
    private const string SchemaJson = """
        {
          "type": "object",
          "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
              "type": "object",
              "required": ["image"],
              "properties": {
                "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
                "image": {"type": "string", "minLength": 3, "maxLength": 20, "pattern": "^[a-z]+$"},
                "mode": {"type": "string", "enum": ["a", "b"]},
                "level": {"type": "integer", "enum": [1, 2]},
                "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true},
                "big": {"type": "number", "maximum": 1000000},
                "half": {"type": "number", "maximum": 2.5, "multipleOf": 0.5},
                "items": {
                  "type": "array", "minItems": 1, "maxItems": 3,
                  "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
                },
                "tags": {"type": "array", "uniqueItems": true, "items": {"type": "string"}},
                "labels": {"type": "object", "minProperties": 1, "maxProperties": 2, "additionalProperties": {"type": "string", "maxLength": 5}},
                "selectors": {"type": "object", "additionalProperties": {"type": "object", "properties": {"v": {"type": "string"}}}},
                "port": {"x-kubernetes-int-or-string": true},
                "note": {"type": "string", "nullable": true},
                "flag": {"type": "boolean"},
                "when": {"type": "string", "format": "date-time"},
                "data": {"type": "string", "format": "byte"},
                "config": {
                  "type": "object", "x-kubernetes-preserve-unknown-fields": true,
                  "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}
                },
                "closed": {"type": "object", "additionalProperties": false, "properties": {"x": {"type": "string"}}},
                "template": {"type": "object", "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object", "properties": {"n": {"type": "integer"}}}}}
              }
            },
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
          }
        }
        """;

    private static readonly StructuralSchema Schema = StructuralSchema.Parse((JsonObject)JsonNode.Parse(SchemaJson)!);

    private static JsonObject Cr(string spec) =>
        (JsonObject)JsonNode.Parse($$"""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{{spec}}}""")!;

    [Theory]
    [InlineData("""{"image":"nginx"}""")]
    [InlineData("""{"image":"nginx","replicas":1,"mode":"b","level":2,"ratio":0.5,"big":1000000,"half":2.5}""")]
    [InlineData("""{"image":"nginx","replicas":10.0}""")]
    [InlineData("""{"image":"nginx","items":[{"name":"a"},{"name":"b"},{"name":"c"}],"tags":["a","b"]}""")]
    [InlineData("""{"image":"nginx","labels":{"a":"12345","b":""},"selectors":{"x":{"v":"1"}}}""")]
    [InlineData("""{"image":"nginx","port":80}""")]
    [InlineData("""{"image":"nginx","port":"http"}""")]
    [InlineData("""{"image":"nginx","note":null,"flag":false}""")]
    [InlineData("""{"image":"nginx","when":"2024-01-02T03:04:05Z","data":"aGVsbG8="}""")]
    [InlineData("""{"image":"nginx","when":"2024-01-02T03:04:05.123+02:00"}""")]
    [InlineData("""{"image":"nginx","config":{"anything":[1,{"deep":true}],"known":{"a":"x"}},"closed":{"x":"y"}}""")]
    [InlineData("""{"image":"nginx","unknown":{"is":"pruned, not rejected"}}""")]
    public void ValidObjectsPass(string spec)
    {
        var errors = Schema.Validate(Cr(spec));
        Assert.True(errors.Count == 0, string.Join("; ", errors));
    }

    [Theory]
    // The messages kube-apiserver answers for custom resources, field by field.
    [InlineData("""{"image":"nginx","replicas":"3"}""", "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"")]
    [InlineData("""{"image":"nginx","replicas":1.5}""", "spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\"")]
    [InlineData("""{"replicas":2}""", "spec.image: Required value")]
    [InlineData("""{"image":"Nginx"}""", "spec.image: Invalid value: \"Nginx\": spec.image in body should match '^[a-z]+$'")]
    [InlineData("""{"image":"ab"}""", "spec.image: Invalid value: \"ab\": spec.image in body should be at least 3 chars long")]
    [InlineData("""{"image":"nginx","mode":"x"}""", "spec.mode: Unsupported value: \"x\": supported values: \"a\", \"b\"")]
    [InlineData("""{"image":"nginx","items":[{"name":"a"},{"name":"b"},{}]}""", "spec.items[2].name: Required value")]
    [InlineData("""{"image":"nginx","items":[{"name":5}]}""", "spec.items[0].name: Invalid value: \"integer\": spec.items[0].name in body must be of type string: \"integer\"")]
    [InlineData("""{"image":"nginx","tags":["a","a"]}""", "spec.tags: Invalid value: \"\": spec.tags in body shouldn't contain duplicates")]
    [InlineData("""{"image":"nginx","port":true}""", "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"")]
    [InlineData("""{"image":"nginx","flag":null}""", "spec.flag: Invalid value: \"null\": spec.flag in body must be of type boolean: \"null\"")]
    [InlineData("""{"image":"nginx","flag":"yes"}""", "spec.flag: Invalid value: \"string\": spec.flag in body must be of type boolean: \"string\"")]
    [InlineData("""{"image":"nginx","when":"yesterday"}""", "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"")]
    [InlineData("""{"image":"nginx","data":"not base64!"}""", "spec.data: Invalid value: \"not base64!\": spec.data in body must be of type byte: \"not base64!\"")]
    [InlineData("""{"image":"nginx","closed":{"x":"1","y":"2"}}""", "spec.closed: Invalid value: \"\": spec.closed.y in body is a forbidden property")]
    [InlineData("""{"image":"nginx","selectors":{"k":"v"}}""", "spec.selectors.k: Invalid value: \"string\": spec.selectors.k in body must be of type object: \"string\"")]
    [InlineData("""{"image":"nginx","items":{"name":"a"}}""", "spec.items: Invalid value: \"object\": spec.items in body must be of type array: \"object\"")]
    [InlineData("""{"image":"nginx","template":{"spec":{"n":"1"}}}""", "spec.template.spec.n: Invalid value: \"string\": spec.template.spec.n in body must be of type integer: \"string\"")]
    [InlineData("\"text\"", "spec: Invalid value: \"string\": spec in body must be of type object: \"string\"")]
    public void EachRuleAnswersKubernetesMessage(string spec, string expected)
    {
        var errors = Schema.Validate(Cr(spec));
        Assert.Equal([expected], errors.Select(e => e.ToString()));
    }

    [Theory]
    // Non-string bad values: Kubernetes prints them unquoted ("Invalid value: 11: ..."), so field, reason, value
    // and detail are checked one by one.
    [InlineData("""{"image":"nginx","replicas":11}""", "spec.replicas", "FieldValueInvalid", "11", "spec.replicas in body should be less than or equal to 10")]
    [InlineData("""{"image":"nginx","replicas":0}""", "spec.replicas", "FieldValueInvalid", "0", "spec.replicas in body should be greater than or equal to 1")]
    [InlineData("""{"image":"nginx","ratio":1}""", "spec.ratio", "FieldValueInvalid", "1", "spec.ratio in body should be less than 1")]
    [InlineData("""{"image":"nginx","ratio":0}""", "spec.ratio", "FieldValueInvalid", "0", "spec.ratio in body should be greater than 0")]
    [InlineData("""{"image":"nginx","big":1000001}""", "spec.big", "FieldValueInvalid", "1000001", "spec.big in body should be less than or equal to 1e+06")]
    [InlineData("""{"image":"nginx","half":3}""", "spec.half", "FieldValueInvalid", "3", "spec.half in body should be less than or equal to 2.5")]
    [InlineData("""{"image":"nginx","half":0.7}""", "spec.half", "FieldValueInvalid", "0.7", "spec.half in body should be a multiple of 0.5")]
    [InlineData("""{"image":"nginx","level":3}""", "spec.level", "FieldValueNotSupported", "3", "supported values: \"1\", \"2\"")]
    [InlineData("""{"image":"abcdefghijklmnopqrstu"}""", "spec.image", "FieldValueTooLong", "abcdefghijklmnopqrstu", "may not be more than 20 bytes")]
    [InlineData("""{"image":"nginx","labels":{"foo":"toolong"}}""", "spec.labels.foo", "FieldValueTooLong", "toolong", "may not be more than 5 bytes")]
    [InlineData("""{"image":"nginx","items":[]}""", "spec.items", "FieldValueInvalid", "0", "spec.items in body should have at least 1 items")]
    [InlineData("""{"image":"nginx","items":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]}""", "spec.items", "FieldValueTooMany", "4", "must have at most 3 items")]
    [InlineData("""{"image":"nginx","labels":{}}""", "spec.labels", "FieldValueInvalid", "0", "spec.labels in body should have at least 1 properties")]
    [InlineData("""{"image":"nginx","labels":{"a":"1","b":"2","c":"3"}}""", "spec.labels", "FieldValueTooMany", "3", "must have at most 2 items")]
    public void NumericRulesAnswerKubernetesDetail(string spec, string field, string reason, string badValue, string detail)
    {
        var errors = Schema.Validate(Cr(spec));
        var e = Assert.Single(errors);
        Assert.Equal((field, reason, badValue, detail), (e.Field, e.Reason, e.BadValue, e.Detail));
    }

    [Fact]
    public void SeveralErrorsAreAllReported()
    {
        var errors = Schema.Validate(Cr("""{"replicas":"x","mode":"c","status":1}"""));
        Assert.Equal(
            ["spec.replicas", "spec.mode", "spec.image"],
            errors.Select(e => e.Field));
    }

    [Fact]
    public void MetadataIsNotValidatedByTheSchema()
    {
        var obj = Cr("""{"image":"nginx"}""");
        obj["metadata"] = "not an object";
        Assert.Empty(Schema.Validate(obj));
        obj["kind"] = 5;
        Assert.Equal(["kind"], Schema.Validate(obj).Select(e => e.Field));
    }

    [Fact]
    public void NodesBuiltInCodeValidateLikeParsedOnes()
    {
        var obj = Cr("""{"image":"nginx"}""");
        obj["spec"]!["replicas"] = 11;
        obj["spec"]!["half"] = 2.0;
        obj["spec"]!["level"] = 2L;
        var e = Assert.Single(Schema.Validate(obj));
        Assert.Equal(("spec.replicas", "11"), (e.Field, e.BadValue));
        obj["spec"]!["replicas"] = 2.0;
        Assert.Empty(Schema.Validate(obj));
    }

    [Fact]
    public void NullableAllowsNullOnlyWhereDeclared()
    {
        Assert.Empty(Schema.Validate(Cr("""{"image":"nginx","note":null}""")));
        Assert.Equal(["spec.image"], Schema.Validate(Cr("""{"image":null}""")).Select(e => e.Field));
        Assert.Equal(["spec"], Schema.Validate(Cr("null")).Select(e => e.Field));
    }

    [Fact]
    public void PruneRemovesUnknownFieldsAtEveryDepth()
    {
        var obj = (JsonObject)JsonNode.Parse("""
            {
              "apiVersion": "example.com/v1", "kind": "Widget",
              "metadata": {"name": "w", "labels": {"a": "b"}, "whatever": {"x": 1}},
              "extra": 1,
              "spec": {
                "image": "nginx", "bogus": true,
                "items": [{"name": "a", "junk": 1}, {"name": "b"}],
                "labels": {"any": "kept", "other": "kept"},
                "selectors": {"k1": {"v": "1", "junk": 2}},
                "config": {"free": {"form": [1, 2]}, "known": {"a": "x", "b": "pruned"}},
                "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"n": 1, "junk": 3}, "junk": 4}
              },
              "status": {"ready": true, "unknown": "x"}
            }
            """)!;
        Schema.Prune(obj);
        var expected = JsonNode.Parse("""
            {
              "apiVersion": "example.com/v1", "kind": "Widget",
              "metadata": {"name": "w", "labels": {"a": "b"}, "whatever": {"x": 1}},
              "spec": {
                "image": "nginx",
                "items": [{"name": "a"}, {"name": "b"}],
                "labels": {"any": "kept", "other": "kept"},
                "selectors": {"k1": {"v": "1"}},
                "config": {"free": {"form": [1, 2]}, "known": {"a": "x"}},
                "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"n": 1}}
              },
              "status": {"ready": true}
            }
            """);
        Assert.True(JsonNode.DeepEquals(expected, obj), obj.ToJsonString());
    }

    [Fact]
    public void PruneKeepsEverythingUnderRootPreserveUnknownFields()
    {
        var schema = StructuralSchema.Parse((JsonObject)JsonNode.Parse("""
            {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
             "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}}}
            """)!);
        var obj = (JsonObject)JsonNode.Parse("""{"apiVersion":"v","kind":"K","other":{"x":1},"spec":{"a":"1","b":2}}""")!;
        schema.Prune(obj);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"apiVersion":"v","kind":"K","other":{"x":1},"spec":{"a":"1"}}"""), obj), obj.ToJsonString());
    }

    [Fact]
    public void PruneKeepsApiVersionKindMetadataEvenWhenTheSchemaOmitsThem()
    {
        var schema = StructuralSchema.Parse((JsonObject)JsonNode.Parse("""{"type":"object","properties":{"spec":{"type":"object"}}}""")!);
        var obj = (JsonObject)JsonNode.Parse("""{"apiVersion":"v","kind":"K","metadata":{"name":"n"},"spec":{"x":1},"status":{}}""")!;
        schema.Prune(obj);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"apiVersion":"v","kind":"K","metadata":{"name":"n"},"spec":{}}"""), obj), obj.ToJsonString());
    }
}

public sealed class StructuralSchemaProblemsTests
{
    [Fact]
    public void StructuralSchemaHasNoProblems()
    {
        var schema = (JsonObject)JsonNode.Parse("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "port":{"x-kubernetes-int-or-string":true},"free":{"x-kubernetes-preserve-unknown-fields":true},
              "list":{"type":"array","items":{"type":"string"}},"map":{"type":"object","additionalProperties":{"type":"integer"}}}}}}
            """)!;
        Assert.Empty(StructuralSchema.Problems(schema));
    }

    [Fact]
    public void MissingTypesItemsAndMixedPropertiesAreReported()
    {
        var schema = (JsonObject)JsonNode.Parse("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "untyped":{},"list":{"type":"array"},"map":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}},
              "values":{"type":"object","additionalProperties":{}}}}}}
            """)!;
        Assert.Equal(
            [
                "properties[spec].properties[untyped].type: Required value: must not be empty for specified object fields",
                "properties[spec].properties[list].items: Required value: must be specified",
                "properties[spec].properties[map].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
                "properties[spec].properties[values].additionalProperties.type: Required value: must not be empty for specified additionalProperties",
            ],
            StructuralSchema.Problems(schema));
        Assert.Equal(
            ["type: Invalid value: \"string\": must be object at the root"],
            StructuralSchema.Problems((JsonObject)JsonNode.Parse("""{"type":"string"}""")!));
    }
}
