using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace KvCluster.KvServer.Rpc;

/// <summary>
/// Binds a generated service's methods as Grpc.AspNetCore's own binder does, but with a request
/// decoder that turns an undecodable body into etcd's (grpc-go's) answer, Internal "grpc: error
/// unmarshalling request: ...". Grpc.AspNetCore decodes a unary request before any interceptor runs
/// and would answer Unknown "Exception was thrown by handler."; only the marshaller sees that failure.
/// Registered in place of the default binder (see <see cref="Hosting.ServerHost"/>).
/// </summary>
internal sealed class DecodeGuardMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var bind = typeof(TService).GetCustomAttribute<BindServiceMethodAttribute>(inherit: true);
        if (bind is null)
        {
            return;
        }

        var bindMethod = bind.BindType.GetMethods(BindingFlags.Public | BindingFlags.Static)
            .FirstOrDefault(m => m.Name == bind.BindMethodName && m.GetParameters() is [{ ParameterType: var b }, _] && b == typeof(ServiceBinderBase))
            ?? throw new InvalidOperationException($"{bind.BindType}.{bind.BindMethodName} not found");
        // Generated BindService methods accept a null implementation: the binder is handed the method
        // descriptions only, and the handlers are found on TService by name.
        bindMethod.Invoke(null, [new Binder(context), null]);
    }

    private static Method<TRequest, TResponse> Guard<TRequest, TResponse>(Method<TRequest, TResponse> method)
    {
        var decode = method.RequestMarshaller.ContextualDeserializer;
        var marshaller = Marshallers.Create<TRequest>(method.RequestMarshaller.ContextualSerializer, ctx =>
        {
            try
            {
                return decode(ctx);
            }
            catch (Google.Protobuf.InvalidProtocolBufferException e)
            {
                throw RpcErrors.Unmarshal(e);
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    private static TDelegate Handler<TDelegate>(string name, params Type[] parameters)
        where TDelegate : Delegate
    {
        var info = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
            ?? throw new InvalidOperationException($"{typeof(TService)}.{name} not found");
        return info.CreateDelegate<TDelegate>();
    }

    private static List<object> Metadata(string name) =>
        [.. typeof(TService).GetCustomAttributes(inherit: true), .. typeof(TService).GetMethod(name)?.GetCustomAttributes(inherit: true) ?? []];

    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Guard(method), Metadata(method.Name),
                Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Guard(method), Metadata(method.Name),
                Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Guard(method), Metadata(method.Name),
                Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Guard(method), Metadata(method.Name),
                Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));
    }
}
