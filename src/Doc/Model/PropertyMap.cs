using System.Collections;
using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Caiman.Doc.Model;

/// <summary>
/// A node's properties: an immutable map sorted by ordinal key. Nodes usually carry a handful
/// of properties, so a sorted array beats a hash map in both memory and lookup time.
/// </summary>
[JsonConverter(typeof(Caiman.Doc.Serialization.PropertyMapJsonConverter))]
public sealed class PropertyMap : IReadOnlyDictionary<string, DocValue>, IEquatable<PropertyMap>
{
    public static readonly PropertyMap Empty = new(System.Array.Empty<KeyValuePair<string, DocValue>>());

    private readonly KeyValuePair<string, DocValue>[] _entries;

    private PropertyMap(KeyValuePair<string, DocValue>[] sortedEntries) => _entries = sortedEntries;

    /// <summary>A map of the entries; when a key repeats, the last one given wins.</summary>
    public static PropertyMap From(IEnumerable<KeyValuePair<string, DocValue>> entries) => Empty.SetItems(entries);

    /// <summary>For entries already sorted by ordinal key without duplicates (as the serializer reads them); checked.</summary>
    internal static PropertyMap FromSorted(KeyValuePair<string, DocValue>[] entries)
    {
        for (var i = 1; i < entries.Length; i++)
            if (string.CompareOrdinal(entries[i - 1].Key, entries[i].Key) >= 0) return From(entries);
        return entries.Length == 0 ? Empty : new PropertyMap(entries);
    }

    public static PropertyMap Of(params (string Key, DocValue Value)[] entries)
    {
        var map = Empty;
        foreach (var (key, value) in entries) map = map.SetItem(key, value);
        return map;
    }

    /// <summary>A copy with one entry set (added or replaced): what nearly every change does.</summary>
    public PropertyMap SetItem(string key, DocValue value)
    {
        var index = IndexOf(key);
        KeyValuePair<string, DocValue>[] entries;
        if (index >= 0)
        {
            entries = (KeyValuePair<string, DocValue>[])_entries.Clone();
            entries[index] = new(key, value);
            return new PropertyMap(entries);
        }
        var at = ~index;
        entries = new KeyValuePair<string, DocValue>[_entries.Length + 1];
        Array.Copy(_entries, 0, entries, 0, at);
        entries[at] = new(key, value);
        Array.Copy(_entries, at, entries, at + 1, _entries.Length - at);
        return new PropertyMap(entries);
    }

    public int Count => _entries.Length;

    public DocValue this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);
    public IEnumerable<DocValue> Values => _entries.Select(e => e.Value);

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, out DocValue value)
    {
        var index = IndexOf(key);
        value = index >= 0 ? _entries[index].Value : DocValue.Null.Instance;
        return index >= 0;
    }

    /// <summary>A copy with the given entries set (added or replaced).</summary>
    public PropertyMap SetItems(IEnumerable<KeyValuePair<string, DocValue>> entries)
    {
        if (entries is PropertyMap { Count: 1 } one) return SetItem(one._entries[0].Key, one._entries[0].Value);
        // Maps are small: insert each entry into a sorted copy rather than rebuild through a tree.
        var result = new List<KeyValuePair<string, DocValue>>(_entries.Length + 1);
        result.AddRange(_entries);
        foreach (var entry in entries)
        {
            int low = 0, high = result.Count - 1, found = -1;
            while (low <= high)
            {
                var mid = (low + high) >> 1;
                var cmp = string.CompareOrdinal(result[mid].Key, entry.Key);
                if (cmp == 0) { found = mid; break; }
                if (cmp < 0) low = mid + 1; else high = mid - 1;
            }
            if (found >= 0) result[found] = entry;
            else result.Insert(low, entry);
        }
        return result.Count == 0 ? Empty : new PropertyMap([.. result]);
    }

    /// <summary>A copy without the given keys; keys that are absent are ignored.</summary>
    public PropertyMap RemoveKeys(IEnumerable<string> keys)
    {
        var removed = new HashSet<string>(keys, StringComparer.Ordinal);
        var kept = _entries.Where(e => !removed.Contains(e.Key)).ToArray();
        return kept.Length == 0 ? Empty : new PropertyMap(kept);
    }

    public JsonObject ToJsonObject()
    {
        var json = new JsonObject();
        foreach (var (key, value) in _entries) json[key] = value.ToJson();
        return json;
    }

    /// <summary>A struct enumerator: <c>foreach</c> over a node's properties runs on every change and allocates nothing.</summary>
    public Enumerator GetEnumerator() => new(_entries);

    IEnumerator<KeyValuePair<string, DocValue>> IEnumerable<KeyValuePair<string, DocValue>>.GetEnumerator() => ((IEnumerable<KeyValuePair<string, DocValue>>)_entries).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    public struct Enumerator(KeyValuePair<string, DocValue>[] entries)
    {
        private int _index = -1;

        public readonly KeyValuePair<string, DocValue> Current => entries[_index];

        public bool MoveNext() => ++_index < entries.Length;
    }

    public bool Equals(PropertyMap? other) =>
        other is not null && _entries.Length == other._entries.Length &&
        _entries.Zip(other._entries).All(p => p.Item1.Key == p.Item2.Key && p.Item1.Value.Equals(p.Item2.Value));

    public override bool Equals(object? obj) => Equals(obj as PropertyMap);
    public override int GetHashCode() => _entries.Aggregate(19, (h, e) => HashCode.Combine(h, e.Key, e.Value));
    public override string ToString() => ToJsonObject().ToJsonString();

    /// <summary>The index of the key, or the complement of where it would go.</summary>
    private int IndexOf(string key)
    {
        int low = 0, high = _entries.Length - 1;
        while (low <= high)
        {
            var mid = (low + high) >> 1;
            var cmp = string.CompareOrdinal(_entries[mid].Key, key);
            if (cmp == 0) return mid;
            if (cmp < 0) low = mid + 1; else high = mid - 1;
        }
        return ~low;
    }
}
