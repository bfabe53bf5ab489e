using System.Text.Json;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace GetApp.Agent.ErrorHandling;

/// <summary>
/// Turns every failure into the AppError body <c>{message, name, statusCode}</c>: bad requests with their reason,
/// unexpected faults with a 500 that says where to look — never a stack trace.
/// </summary>
internal sealed partial class AppErrorMiddleware(RequestDelegate next, ILogger<AppErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var name = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "PayloadTooLarge" : "BadRequest";
            await WriteAsync(context, e.StatusCode, name, Describe(e)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (DiskSpace.IsDiskFull(e) && !context.Response.HasStarted)
        {
            // Not a bug: the disk is full. The reserve is given back for the agent's own records; the client is told why.
            var space = context.RequestServices.GetRequiredService<DiskSpace>();
            space.Exhausted();
            await WriteDiskFullAsync(context, space).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogUnhandled(e, context.Request.Method, context.Request.Path);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, "InternalServerError",
                $"The agent failed to handle {context.Request.Method} {context.Request.Path}; the agent's log has the details (trace id {context.TraceIdentifier}).").ConfigureAwait(false);
        }
    }

    public static Task WriteAsync(HttpContext context, int statusCode, string name, string message)
    {
        context.Response.Clear();
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, new AppError(message, name, statusCode), AgentJson.Context.AppError, context.RequestAborted);
    }

    /// <summary>507: the change cannot be stored because the data dir's disk is full.</summary>
    public static Task WriteDiskFullAsync(HttpContext context, DiskSpace space) =>
        WriteAsync(context, StatusCodes.Status507InsufficientStorage, "InsufficientStorage",
            $"The agent's disk is full ({space.Available()} bytes free in its data dir): {context.Request.Method} {context.Request.Path} cannot be stored. " +
            "Free some space (cancelling a delivery or deleting a delivered release gives space back); the agent accepts changes again by itself.");

    /// <summary>Gives the answers produced by routing itself (no such route, wrong method...) the AppError body.</summary>
    public static Task WriteStatusCodePageAsync(StatusCodeContext status)
    {
        var context = status.HttpContext;
        var code = context.Response.StatusCode;
        var (name, message) = code switch
        {
            404 => ("NotFound", $"No such endpoint: {context.Request.Method} {context.Request.Path}"),
            405 => ("MethodNotAllowed", $"{context.Request.Method} is not allowed on {context.Request.Path}"),
            413 => ("PayloadTooLarge", "The request body is too large"),
            415 => ("UnsupportedMediaType", "The request body must be application/json"),
            _ => ("Error", $"The request failed with status {code}"),
        };
        return WriteAsync(context, code, name, message);
    }

    private static string Describe(BadHttpRequestException e) => e.InnerException switch
    {
        JsonException json => $"The request body is not valid JSON: {json.Message}",
        _ when e.StatusCode == StatusCodes.Status413PayloadTooLarge => "The request body is too large",
        _ => e.Message,
    };

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);
}
