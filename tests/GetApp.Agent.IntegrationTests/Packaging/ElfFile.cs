using System.Buffers.Binary;
using System.Text;

namespace GetApp.Agent.IntegrationTests.Packaging;

/// <summary>What an ELF executable's header says it is for: read from the bytes, independently of `file` or readelf.</summary>
internal sealed record ElfFile(bool Is64Bit, bool IsLittleEndian, ushort Machine, string? Interpreter)
{
    public const ushort X86_64 = 62;
    public const ushort AArch64 = 183;

    public static ElfFile Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
        {
            throw new InvalidDataException($"{path} is not an ELF file");
        }

        var is64 = bytes[4] == 2;
        var little = bytes[5] == 1;
        if (!is64 || !little)
        {
            return new ElfFile(is64, little, 0, null);
        }

        var span = bytes.AsSpan();
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(span[18..]);
        var programHeaders = (int)BinaryPrimitives.ReadUInt64LittleEndian(span[0x20..]);
        var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x36..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(span[0x38..]);
        string? interpreter = null;
        for (var i = 0; i < count; i++)
        {
            var header = span[(programHeaders + (i * entrySize))..];
            const uint PtInterp = 3;
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) == PtInterp)
            {
                var offset = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x08..]);
                var size = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]);
                interpreter = Encoding.ASCII.GetString(span.Slice(offset, size)).TrimEnd('\0');
            }
        }

        return new ElfFile(is64, little, machine, interpreter);
    }
}
