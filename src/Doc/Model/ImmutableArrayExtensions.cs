using System.Collections.Immutable;

namespace Caiman.Doc.Model;

internal static class ImmutableArrayExtensions
{
    /// <summary>Deserialized or defaulted arrays may be default; treat that as empty.</summary>
    public static ImmutableArray<T> NullToEmpty<T>(this ImmutableArray<T> array) => array.IsDefault ? ImmutableArray<T>.Empty : array;
}
