namespace PSCodeArtifact.Core.Formats;

/// <summary>
/// Maven's <c>ComparableVersion</c> ordering (maven-artifact, as shipped with Maven 3.8.7/3.9: MNG-6572, MNG-6964 and
/// MNG-7644 included). A version is split into items on '.', '-' and digit/letter transitions; '-' and a transition
/// open a sub-list; numbers compare numerically; qualifiers order alpha &lt; beta &lt; milestone &lt; rc = cr &lt;
/// snapshot &lt; "" = ga = final = release &lt; sp &lt; any other qualifier (case-insensitively, then lexically).
/// </summary>
internal static class MavenVersionComparer
{
    public static int Compare(string left, string right) => Parse(left).CompareTo(Parse(right));

    /// <summary>The canonical form Maven prints (<c>1.0.0-RC1</c> → <c>1-rc-1</c>); used to explain orderings in tests.</summary>
    public static string Canonical(string version) => Parse(version).ToString();

    private static ListItem Parse(string version)
    {
        var text = version.ToLowerInvariant();
        var items = new ListItem();
        var list = items;
        var lists = new List<ListItem> { list };
        var isDigit = false;
        var start = 0;

        ListItem OpenSubList(ListItem parent)
        {
            var child = new ListItem();
            parent.Add(child);
            lists.Add(child);
            return child;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '.')
            {
                list.Add(i == start ? NumberItem.Zero : ParseItem(isDigit, text[start..i]));
                start = i + 1;
            }
            else if (c == '-')
            {
                list.Add(i == start ? NumberItem.Zero : ParseItem(isDigit, text[start..i]));
                start = i + 1;
                list = OpenSubList(list);
            }
            else if (IsDigit(c))
            {
                if (!isDigit && i > start)
                {
                    // MNG-7644: a qualifier after a dot reads like one after a hyphen (1.0.0.RC1 = 1.0.0-RC1).
                    if (list.Count > 0) list = OpenSubList(list);
                    list.Add(new StringItem(text[start..i], followedByDigit: true));
                    start = i;
                    list = OpenSubList(list);
                }
                isDigit = true;
            }
            else
            {
                if (isDigit && i > start)
                {
                    list.Add(ParseItem(isDigit: true, text[start..i]));
                    start = i;
                    list = OpenSubList(list);
                }
                isDigit = false;
            }
        }
        if (text.Length > start)
        {
            if (!isDigit && list.Count > 0) list = OpenSubList(list);
            list.Add(ParseItem(isDigit, text[start..]));
        }
        // Innermost lists first, as Maven pops its stack, so a list emptied by normalising counts as null in its parent.
        for (var i = lists.Count - 1; i >= 0; i--) lists[i].Normalize();
        return items;
    }

    // Java's Character.isDigit also takes other scripts' digits; only ASCII ones occur in real versions.
    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static Item ParseItem(bool isDigit, string text) => isDigit ? new NumberItem(text) : new StringItem(text, followedByDigit: false);

    private abstract class Item
    {
        public abstract bool IsNull { get; }

        /// <summary>Compares with another item, or with an absent one (null) when the other version is shorter.</summary>
        public abstract int CompareTo(Item? other);
    }

    /// <summary>A number of any size, kept as its digits without leading zeros so no parse can overflow.</summary>
    private sealed class NumberItem : Item
    {
        public static readonly NumberItem Zero = new("0");

        private readonly string _digits;

        public NumberItem(string digits)
        {
            var trimmed = digits.TrimStart('0');
            _digits = trimmed.Length == 0 ? "0" : trimmed;
        }

        public override bool IsNull => _digits == "0";

        public override int CompareTo(Item? other) => other switch
        {
            null => IsNull ? 0 : 1,
            NumberItem number => _digits.Length != number._digits.Length
                ? _digits.Length.CompareTo(number._digits.Length)
                : Math.Sign(string.CompareOrdinal(_digits, number._digits)),
            // 1.1 > 1-sp and 1.1 > 1-1.
            _ => 1,
        };

        public override string ToString() => _digits;
    }

    private sealed class StringItem : Item
    {
        private static readonly string[] s_qualifiers = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
        private static readonly string s_releaseIndex = Array.IndexOf(s_qualifiers, "").ToString(System.Globalization.CultureInfo.InvariantCulture);

        private readonly string _value;

        public StringItem(string value, bool followedByDigit)
        {
            if (followedByDigit && value.Length == 1)
            {
                // a1 = alpha-1, b1 = beta-1, m1 = milestone-1.
                value = value[0] switch
                {
                    'a' => "alpha",
                    'b' => "beta",
                    'm' => "milestone",
                    _ => value,
                };
            }
            _value = value switch
            {
                "ga" or "final" or "release" => "",
                "cr" => "rc",
                _ => value,
            };
        }

        public override bool IsNull => _value.Length == 0;

        public override int CompareTo(Item? other) => other switch
        {
            // 1-rc < 1 and 1-sp > 1.
            null => Math.Sign(string.CompareOrdinal(Comparable(_value), s_releaseIndex)),
            StringItem text => Math.Sign(string.CompareOrdinal(Comparable(_value), Comparable(text._value))),
            // 1.any < 1.1 and 1.any < 1-1.
            _ => -1,
        };

        public override string ToString() => _value;

        // Known qualifiers become their index; unknown ones sort after all of them, lexically among themselves.
        private static string Comparable(string qualifier)
        {
            var index = Array.IndexOf(s_qualifiers, qualifier);
            return index < 0
                ? s_qualifiers.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + qualifier
                : index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private sealed class ListItem : Item
    {
        private readonly List<Item> _items = [];

        public int Count => _items.Count;

        public override bool IsNull => _items.Count == 0;

        public void Add(Item item) => _items.Add(item);

        /// <summary>Drops trailing null items (0, "", empty lists), looking past non-null sub-lists as Maven does.</summary>
        public void Normalize()
        {
            for (var i = _items.Count - 1; i >= 0; i--)
            {
                var last = _items[i];
                if (last.IsNull) _items.RemoveAt(i);
                else if (last is not ListItem) break;
            }
        }

        public int CompareTo(ListItem other) => CompareTo((Item)other);

        public override int CompareTo(Item? other)
        {
            switch (other)
            {
                case null:
                    // MNG-6964: every item counts, so 1-0.alpha < 1 although its first item is a null 0.
                    foreach (var item in _items)
                    {
                        var result = item.CompareTo(null);
                        if (result != 0) return result;
                    }
                    return 0;
                case ListItem list:
                    for (var i = 0; i < Math.Max(_items.Count, list._items.Count); i++)
                    {
                        var left = i < _items.Count ? _items[i] : null;
                        var right = i < list._items.Count ? list._items[i] : null;
                        var result = left is null ? (right is null ? 0 : -right.CompareTo(null)) : left.CompareTo(right);
                        if (result != 0) return result;
                    }
                    return 0;
                case NumberItem:
                    // 1-1 < 1.0.x
                    return -1;
                default:
                    // 1-1 > 1-sp
                    return 1;
            }
        }

        public override string ToString()
        {
            var text = new System.Text.StringBuilder();
            foreach (var item in _items)
            {
                if (text.Length > 0) text.Append(item is ListItem ? '-' : '.');
                text.Append(item);
            }
            return text.ToString();
        }
    }
}
