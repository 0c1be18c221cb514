using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry.Crd;

/// <summary>
/// Objects of one version of a CRD: pruned of the fields its structural schema does not declare, then
/// validated against it (422 Invalid with each failing field); with a status subresource, status is
/// not set on create.
/// </summary>
internal sealed class CustomResourceStrategy(StructuralSchema schema, bool statusSubresource) : IKindStrategy
{
    public void PrepareForCreate(JsonObject obj)
    {
        if (statusSubresource)
        {
            obj.Remove("status");
        }
    }

    public void Canonicalize(JsonObject obj) => schema.Prune(obj);

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old) => schema.Validate(obj);
}
