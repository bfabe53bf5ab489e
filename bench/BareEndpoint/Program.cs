// The same routes as the agent's read API, each answering the bytes the agent answered (files captured by
// bench/api.sh), so a request costs only what ASP.NET Core itself costs: routing, headers, writing the body.
//
//   bare-endpoint --urls http://127.0.0.1:PORT --status FILE --list FILE --offering FILE
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

byte[] Load(string name) => options.TryGetValue(name, out var path) ? File.ReadAllBytes(path) : "{}"u8.ToArray();
var status = Load("status");
var list = Load("list");
var offering = Load("offering");

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "bare-endpoint" });
builder.WebHost.UseUrls(options.TryGetValue("urls", out var urls) ? urls : "http://127.0.0.1:5000");
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
builder.Logging.ClearProviders();
var app = builder.Build();

const string Json = "application/json; charset=utf-8";
app.MapGet("/api/v2/device/releases/{catalogId}", (string catalogId) => Results.Bytes(status, Json));
app.MapGet("/api/v2/device/releases", () => Results.Bytes(list, Json));
app.MapGet("/api/v2/device/offering", () => Results.Bytes(offering, Json));
app.Run();
