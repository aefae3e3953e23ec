"""The converter, one behaviour at a time: clutter, shortcodes, links, images, structure, text."""

from __future__ import annotations

import re

import pytest

from reader.content.convert import (
    CONVERTER_VERSION,
    SUMMARY_NOTE,
    Converted,
    Link,
    cache_key,
    convert,
    load_rules,
)

BASE = "https://blog.example.com/2024/05/post/"


def md(html: str | bytes, **kwargs) -> str:
    """The Markdown without the link list."""
    kwargs.setdefault("base_url", BASE)
    return body(convert(html, **kwargs))


def body(result: Converted) -> str:
    return re.sub(r"(\n\n)?(\[\d+\]: .*\n?)+$", "", result.markdown).rstrip("\n")


# -- dropped elements ------------------------------------------------------------------------


def test_script_style_noscript_text_never_leaks() -> None:
    out = md("<p>a</p><script>alert('x')</script><style>p{color:red}</style>"
             "<noscript>enable js</noscript><template><p>t</p></template><p>b</p>")
    assert out == "a\n\nb"


def test_forms_buttons_and_comment_forms_dropped() -> None:
    out = md('<p>Text</p><form><label>Name</label><input name=n><textarea>x</textarea>'
             '<select><option>o</option></select><button>Send</button></form>'
             '<button>Click</button><div id="respond" class="comment-respond">'
             '<h3>Leave a Reply</h3></div>')
    assert out == "Text"


def test_navigation_blocks_dropped() -> None:
    out = md('<nav><a href="/">Home</a></nav><div role="navigation">Prev | Next</div>'
             '<p>Body</p><div class="post-navigation"><a href="/older">Older</a></div>')
    assert out == "Body"


def test_share_widgets_and_share_links_dropped() -> None:
    html = ('<p>Body</p><div class="sharedaddy sd-sharing-enabled"><h3>Share this:</h3>'
            '<a href="?share=twitter">Twitter</a></div>'
            '<p><a href="https://twitter.com/intent/tweet?url=x">Share on Twitter</a> '
            '<a href="https://www.facebook.com/sharer/sharer.php?u=x">Share on Facebook</a></p>'
            '<p>Share on Twitter | Share on Facebook</p><p>Share this:</p>'
            '<div class="addtoany_share_save_container">Share</div>')
    result = convert(html, base_url=BASE)
    assert body(result) == "Body"
    assert result.links == []


def test_related_posts_dropped() -> None:
    out = md('<p>Body</p><div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3>'
             '<a href="/other">Other</a></div><div class="yarpp-related"><p>More</p></div>'
             '<p>Related posts:</p>')
    assert out == "Body"


def test_tracking_pixels_and_hidden_images_dropped() -> None:
    html = ('<p>Body <img src="https://t.example/p.gif" width="1" height="1">'
            '<img src="/h.png" style="display: none"><img src="/x.png" hidden>'
            '<img src="http://feeds.feedburner.com/~r/blog/~4/abc">'
            '<img src="https://pixel.wp.com/b.gif?host=x"><img src="/w.png" width="0">'
            '<img src="http://da.feedsportal.com/r/1.gif"></p>')
    result = convert(html, base_url=BASE)
    assert body(result) == "Body"
    assert result.links == []


def test_empty_paragraphs_dropped() -> None:
    out = md("<p>a</p><p>&nbsp;</p><p> </p><p><br></p><p>\u200b</p><p><span></span></p><p>b</p>")
    assert out == "a\n\nb"


def test_iframe_becomes_link_to_its_source() -> None:
    result = convert('<p>Watch:</p><iframe src="https://www.youtube.com/embed/abc" '
                     'title="A film"></iframe><p>After</p>', base_url=BASE)
    assert body(result) == "Watch:\n\n[A film][1]\n\nAfter"
    assert result.links == [Link(1, "https://www.youtube.com/embed/abc", "embed", "A film")]


def test_iframe_lazy_source_and_untitled() -> None:
    result = convert('<iframe src="about:blank" data-src="//player.vimeo.com/video/1">'
                     '</iframe><iframe src="javascript:void(0)"></iframe>', base_url=BASE)
    assert body(result) == "[Embedded content from player.vimeo.com][1]"
    assert result.links[0].url == "https://player.vimeo.com/video/1"
    assert result.links[0].kind == "embed"


def test_video_and_audio_sources_become_embed_links() -> None:
    result = convert('<video controls><source src="/v.mp4" type="video/mp4">No video</video>'
                     '<audio src="/a.mp3"></audio>', base_url=BASE)
    assert [(lk.url, lk.kind) for lk in result.links] == [
        ("https://blog.example.com/v.mp4", "embed"), ("https://blog.example.com/a.mp3", "embed")]


# -- site rules --------------------------------------------------------------------------------


AMN = "https://www.almasdarnews.com/article/some-story/"


def test_amn_rule_drops_promo_and_navigation() -> None:
    html = ('<div class="td-post-navigation"><span>Navigation</span></div><p>Navigation</p>'
            '<p><strong><a href="https://t.me/almasdarnews">Join our brand new verified AMN '
            'Telegram channel</a></strong> and get important news uncensored!</p>'
            '<ul><li>&nbsp;</li></ul><p>  •  </p><p>Story text.</p>')
    result = convert(html, base_url=AMN)
    assert body(result) == "Story text."
    assert result.links == []


def test_amn_rule_matches_any_subdomain_and_only_amn() -> None:
    html = "<p>Navigation</p><p>Story.</p>"
    assert md(html, base_url="https://m.almasdarnews.com/x") == "Story."
    assert md(html, base_url="https://almasdarnews.com/x") == "Story."
    assert md(html, base_url="https://example.com/x") == "Navigation\n\nStory."
    assert md(html, base_url="https://notalmasdarnews.com/x") == "Navigation\n\nStory."


def test_drop_lines_match_whole_lines_only() -> None:
    html = "<p>Navigation is hard, the captain said.</p><p>Navigation</p>"
    assert md(html, base_url=AMN) == "Navigation is hard, the captain said."


def test_drop_lines_split_at_line_breaks() -> None:
    html = "<p>Navigation<br>Real text<br>Join our new Telegram channel now</p>"
    assert md(html, base_url=AMN) == "Real text"


def test_extra_rules_from_the_user() -> None:
    rules = [{"hosts": ["example.org"], "drop_selectors": [".promo", "div.box > p.x"],
              "drop_lines": ["Subscribe to .*"], "drop_shortcodes": ["mybanner"]}]
    html = ('<div class="promo">Buy</div><div class="box"><p class="x">Gone</p><p>Kept</p></div>'
            "<p>Subscribe to our newsletter!</p><p>[mybanner] Text</p>")
    out = md(html, base_url="https://www.example.org/a", extra_rules=rules)
    assert out == "Kept\n\nText"
    # the same rules do nothing for another host
    assert "Buy" in md(html, base_url="https://example.com/a", extra_rules=rules)


def test_load_rules_reports_bad_user_rules_without_raising() -> None:
    rules = load_rules([{"hosts": ["a.example"], "drop_lines": ["(unclosed"],
                         "drop_selectors": ["a[", ".ok"], "colour": "red"},
                        {"drop_lines": ["x"]}, "not a table"])
    text = "\n".join(rules.problems)
    assert "bad pattern" in text and "bad selector" in text and "unknown key" in text
    assert "no hosts" in text and "must be a table" in text
    user = [r for r in rules.rules if r.hosts == ("a.example",)]
    assert user and user[0].drop_selectors == (".ok",)
    # convert accepts the same broken rules
    assert md("<p>fine</p>", extra_rules=[{"hosts": "*", "drop_lines": "("}]) == "fine"


def test_shipped_rules_load_cleanly_and_use_fast_selectors() -> None:
    from reader.content.siterules import _parse_simple

    rules = load_rules()
    assert rules.problems == ()
    names = [r.name for r in rules.rules]
    assert "AMN Al-Masdar News" in names
    for rule in rules.rules:
        for selector in rule.drop_selectors:
            assert _parse_simple(selector) is not None, selector


# -- shortcodes --------------------------------------------------------------------------------


def test_ad_shortcodes_removed_and_bracketed_text_kept() -> None:
    out = md("<p>He said it [sic] twice [1], [Reuters] reported. [revad2]</p><p>[revad2]</p>"
             "<p>[adsense] [the_ad id=\"3\"] [gallery ids=\"1,2\"] [td_block_ad]</p>")
    assert out == r"He said it \[sic\] twice \[1\], \[Reuters\] reported."


def test_caption_shortcode_keeps_image_and_caption() -> None:
    result = convert('<p>[caption id="attachment_1" align="alignnone" width="300"]'
                     '<img src="/s.jpg" alt="Snow" width="300" height="200" /> A snowplough '
                     'clears the road.[/caption]</p><p>Text</p>', base_url=BASE)
    assert body(result) == "![Snow][1]\n\n*A snowplough clears the road.*\n\nText"
    assert result.links[0].kind == "image"


def test_embed_shortcodes_become_links() -> None:
    result = convert("<p>[embed]https://www.youtube.com/watch?v=abc[/embed]</p>"
                     "<p>[youtube=https://youtu.be/xyz] and [vimeo https://vimeo.com/1]</p>",
                     base_url=BASE)
    assert [(lk.url, lk.kind) for lk in result.links] == [
        ("https://www.youtube.com/watch?v=abc", "embed"), ("https://youtu.be/xyz", "embed"),
        ("https://vimeo.com/1", "embed")]
    assert "[Embedded content from youtube.com][1]" in result.markdown


def test_shortcodes_inside_code_are_left_alone() -> None:
    out = md('<p>Use <code>[gallery ids="1"]</code>:</p><pre>[caption]x[/caption]</pre>')
    assert '`[gallery ids="1"]`' in out
    assert "[caption]x[/caption]" in out


def test_unknown_enclosing_shortcode_keeps_its_content() -> None:
    assert md("<p>[highlight]Important[/highlight] point</p>") == "Important point"


# -- links -------------------------------------------------------------------------------------


def test_links_are_absolute_numbered_and_listed_once() -> None:
    result = convert('<p><a href="/a">A</a>, <a href="b">B</a>, '
                     '<a href="https://other.example/c">C</a>, <a href="/a">A again</a></p>',
                     base_url=BASE)
    assert body(result) == "[A][1], [B][2], [C][3], [A again][1]"
    assert result.links == [
        Link(1, "https://blog.example.com/a", "link", "A"),
        Link(2, "https://blog.example.com/2024/05/post/b", "link", "B"),
        Link(3, "https://other.example/c", "link", "C"),
    ]
    assert result.markdown.endswith(
        "\n\n[1]: https://blog.example.com/a\n[2]: https://blog.example.com/2024/05/post/b\n"
        "[3]: https://other.example/c\n")


def test_reading_order_numbering_link_around_image() -> None:
    result = convert('<p><a href="/big.jpg"><img src="/small.jpg" alt="Pic"></a> '
                     '<a href="/next">next</a></p>', base_url=BASE)
    assert body(result) == "[![Pic][2]][1] [next][3]"
    assert [(lk.number, lk.kind, lk.text) for lk in result.links] == [
        (1, "link", "Pic"), (2, "image", "Pic"), (3, "link", "next")]


def test_dangerous_and_unusable_links_keep_their_text_only() -> None:
    result = convert('<p><a href="javascript:alert(1)">js</a> <a href="JaVaScRiPt:x">JS</a> '
                     '<a href=" java\tscript:x">tab</a> <a href="data:text/html,x">data</a> '
                     '<a href="vbscript:x">vb</a> <a href="file:///etc/passwd">file</a> '
                     '<a href="">empty</a> <a>anchor</a></p>', base_url=BASE)
    assert body(result) == "js JS tab data vb file empty anchor"
    assert result.links == []


def test_relative_links_without_base_are_text() -> None:
    result = convert('<p><a href="/rel">rel</a> <a href="//cdn.example/x">proto</a></p>')
    assert body(result) == "rel [proto][1]"
    assert result.links[0].url == "https://cdn.example/x"


def test_mailto_links_kept() -> None:
    result = convert('<p><a href="mailto:a@example.com">mail</a></p>', base_url=BASE)
    assert result.links == [Link(1, "mailto:a@example.com", "link", "mail")]


def test_html_base_element_is_honoured() -> None:
    result = convert('<base href="https://static.example/"><p><a href="x">x</a></p>',
                     base_url=BASE)
    assert result.links[0].url == "https://static.example/x"


def test_url_with_spaces_and_unbalanced_parens_is_encoded() -> None:
    result = convert('<p><a href="/a b(c">x</a> <a href="/wiki/Foo_(bar)">w</a></p>',
                     base_url=BASE)
    assert [lk.url for lk in result.links] == [
        "https://blog.example.com/a%20b%28c", "https://blog.example.com/wiki/Foo_(bar)"]


def test_link_text_with_brackets_stays_one_link() -> None:
    result = convert('<p><a href="/x">see [1] here</a></p>', base_url=BASE)
    assert body(result) == r"[see \[1\] here][1]"


def test_nested_links_do_not_nest() -> None:
    result = convert('<a href="/outer">out <a href="/inner">in</a></a>', base_url=BASE)
    assert "][" in result.markdown and "[[" not in result.markdown


# -- images ------------------------------------------------------------------------------------


def test_image_absolute_with_alt() -> None:
    result = convert('<p><img src="../img/a.png" alt="An *alt* [x]"></p>', base_url=BASE)
    assert body(result) == r"![An \*alt\* \[x\]][1]"
    assert result.links == [Link(1, "https://blog.example.com/2024/05/img/a.png", "image",
                                 "An *alt* [x]")]


def test_largest_srcset_candidate_when_only_srcset() -> None:
    result = convert('<img srcset="/a-300.jpg 300w, /a-1024.jpg 1024w, /a-768.jpg 768w" '
                     'alt="a"><img srcset="/b.jpg 1x, /b@2x.jpg 2x" alt="b">'
                     '<img srcset="/c-1.jpg 100w,/c-2.jpg 200w" alt="c">', base_url=BASE)
    assert [lk.url.rsplit("/", 1)[1] for lk in result.links] == ["a-1024.jpg", "b@2x.jpg",
                                                                 "c-2.jpg"]


def test_src_wins_over_srcset() -> None:
    result = convert('<img src="/a.jpg" srcset="/a-big.jpg 2000w" alt="a">', base_url=BASE)
    assert result.links[0].url == "https://blog.example.com/a.jpg"


def test_lazy_load_attributes() -> None:
    result = convert('<img src="data:image/gif;base64,R0lGOD" data-src="/lazy.jpg" alt="l">'
                     '<img src="/placeholder.gif" data-lazy-src="/real.jpg" alt="r">'
                     '<img data-lazy-srcset="/s-1.jpg 1w, /s-2.jpg 2w" alt="s">',
                     base_url=BASE)
    assert [lk.url.rsplit("/", 1)[1] for lk in result.links] == ["lazy.jpg", "real.jpg",
                                                                 "s-2.jpg"]


def test_image_with_only_data_uri_keeps_alt_text() -> None:
    assert md('<p><img src="data:image/png;base64,AAAA" alt="chart"></p>') == "chart"


def test_picture_source() -> None:
    result = convert('<picture><source srcset="/p-800.webp 800w, /p-1600.webp 1600w">'
                     '<img alt="p"></picture>', base_url=BASE)
    assert result.links[0].url.endswith("/p-1600.webp")


def test_body_that_is_only_an_image() -> None:
    result = convert('<img src="/only.jpg" alt="Only">', base_url=BASE)
    assert result.markdown == "![Only][1]\n\n[1]: https://blog.example.com/only.jpg (image)\n"


# -- structure ---------------------------------------------------------------------------------


def test_headings_paragraphs_emphasis() -> None:
    out = md("<h1>Title</h1><h3>Sub <em>part</em></h3><p>A <strong>bold</strong> and "
             "<em>it</em> and <del>gone</del>.</p>")
    assert out == "# Title\n\n### Sub *part*\n\nA **bold** and *it* and ~~gone~~."


def test_blockquotes_nested() -> None:
    out = md("<blockquote><p>Outer</p><blockquote><p>Inner</p></blockquote></blockquote>")
    assert out == "> Outer\n>\n> > Inner"


def test_lists_ordered_nested_and_start() -> None:
    out = md("<ol start='3'><li>three</li><li>four<ul><li>sub a</li><li>sub b</li></ul>"
             "</li></ol><ul><li>x<li>y</ul>")
    assert out == "3. three\n4. four\n   - sub a\n   - sub b\n\n- x\n- y"


def test_long_ordered_list_numbering_is_linear() -> None:
    out = md("<ol>" + "".join(f"<li>i{n}</li>" for n in range(3000)) + "</ol>")
    assert out.splitlines()[-1] == "3000. i2999"


def test_code_block_with_language_and_fences() -> None:
    out = md('<pre><code class="language-python">def f():\n    return "*x*"\n\n\n# end'
             '</code></pre><pre class="brush: php; title: ; notranslate">echo 1;</pre>'
             '<pre data-lang="rust">let a = ```b```;</pre><p>Inline <code>a_b*c</code>.</p>')
    assert out == ('```python\ndef f():\n    return "*x*"\n\n\n# end\n```\n\n'
                   '```php\necho 1;\n```\n\n````rust\nlet a = ```b```;\n````\n\n'
                   'Inline `a_b*c`.')


def test_syntax_highlighted_pre_with_br() -> None:
    out = md('<pre><span class="k">a</span><br><span>b</span></pre>')
    assert out == "```\na\nb\n```"


def test_table_with_pipe_in_cell_and_no_header() -> None:
    out = md("<table><tr><td>a|b</td><td><code>x|y</code></td></tr>"
             "<tr><td>1</td><td>2</td></tr></table>")
    assert out == "| a\\|b | `x\\|y` |\n| --- | --- |\n| 1 | 2 |"


def test_table_with_header() -> None:
    out = md("<table><thead><tr><th>H1</th><th>H2</th></tr></thead>"
             "<tbody><tr><td>a</td><td>b</td></tr></tbody></table>")
    assert out == "| H1 | H2 |\n| --- | --- |\n| a | b |"


def test_single_column_layout_table_becomes_blocks() -> None:
    out = md("<table><tr><td><p>First</p></td></tr><tr><td><p>Second</p></td></tr></table>")
    assert out == "First\n\nSecond"


def test_line_breaks() -> None:
    out = md("<p>one<br>two<br/>three<br><br>new para<br></p><p><br>lead</p>")
    assert out == "one\\\ntwo\\\nthree\n\nnew para\n\nlead"


def test_definition_list() -> None:
    out = md("<dl><dt>Term</dt><dd>Meaning</dd><dt>Other<dd>Second</dl>")
    assert out == "Term\n:   Meaning\n\nOther\n:   Second"


def test_footnotes() -> None:
    html = ('<p>Claim<sup id="fnref1"><a href="#fn1">1</a></sup> and more'
            '<sup><a href="#fn2" class="footnote-ref">2</a></sup>.</p>'
            '<div class="footnotes"><ol><li id="fn1"><p>First source. '
            '<a href="#fnref1" class="footnote-backref">↩</a></p></li>'
            '<li id="fn2">Second, <a href="https://src.example/">online</a>.</li></ol></div>')
    result = convert(html, base_url=BASE)
    assert body(result) == ("Claim[^1] and more[^2].\n\n[^1]: First source.\n\n"
                            "[^2]: Second, [online][1].")
    assert result.links == [Link(1, "https://src.example/", "link", "online")]


def test_in_page_anchor_that_is_not_a_footnote_is_a_link() -> None:
    result = convert('<p><a href="#part2">Part 2</a></p><h2 id="part2">Part 2</h2>',
                     base_url=BASE)
    assert result.links == [Link(1, BASE + "#part2", "link", "Part 2")]


def test_figure_with_caption() -> None:
    result = convert('<figure><img src="/f.jpg" alt="F"><figcaption>Photo: AP</figcaption>'
                     '</figure><p>Text</p>', base_url=BASE)
    assert body(result) == "![F][1]\n\n*Photo: AP*\n\nText"


def test_unclosed_paragraphs_and_items_are_closed() -> None:
    out = md("<p>one<p>two<ul><li>a<li>b</ul><p>three")
    assert out == "one\n\ntwo\n\n- a\n- b\n\nthree"


# -- text --------------------------------------------------------------------------------------


def test_entities_and_smart_quotes_decoded() -> None:
    out = md("<p>&#8220;Quote&#8221; &ldquo;x&rdquo; it&#8217;s &amp; caf&eacute; &hellip; "
             "&#x2014; &nbsp;end</p>")
    assert out == "“Quote” “x” it’s & café … — end"


def test_double_encoded_numeric_entities_decoded() -> None:
    assert md("<p>Don&amp;#8217;t &amp;ldquo;stop&amp;rdquo;</p>") == "Don’t “stop”"


def test_markdown_characters_in_text_are_escaped() -> None:
    out = md("<p>2*3*4 _init_ snake_case a `tick` [x](y) &lt;b&gt; ~~s~~ \\ back</p>"
             "<p># not a heading</p><p>- not a list</p><p>+ nor this</p>"
             "<p>1. not ordered</p><p>&gt; not a quote</p><p>---</p>")
    assert out == ("2\\*3\\*4 \\_init\\_ snake_case a \\`tick\\` \\[x\\](y) \\<b> \\~\\~s\\~\\~ "
                   "\\\\ back\n\n\\# not a heading\n\n\\- not a list\n\n\\+ nor this\n\n"
                   "1\\. not ordered\n\n\\> not a quote\n\n\\---")


def test_text_never_becomes_a_reference_to_our_links() -> None:
    result = convert('<p>see [1]</p><p><a href="/x">x</a></p>', base_url=BASE)
    assert "\\[1\\]" in result.markdown


def test_whitespace_normalised() -> None:
    result = convert("<p>  a \n\t b  </p>\n\n\n<div>\n\n<p>c   </p>\n</div>   "
                     "<p>d<span>   </span>e</p>", base_url=BASE)
    assert result.markdown == "a b\n\nc\n\nd e\n"
    assert not re.search(r"[ \t]\n|\n\n\n", result.markdown)


def test_control_characters_removed() -> None:
    result = convert('<p>a\x00b\x07c\x1bd\x7fe\x85f\x9fg\x08</p>'
                     '<p><a href="/x\x01y" title="t">l\x02ink</a></p>'
                     '<img src="/i.png" alt="al\x03t">', base_url=BASE)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.markdown)
    assert "abcdefg" in result.markdown
    for link in result.links:
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", link.url + link.text)


def test_carriage_returns_in_pre_become_newlines() -> None:
    assert md("<pre>a\r\nb\rc</pre>") == "```\na\nb\nc\n```"


# -- summary-only, empty, bytes ----------------------------------------------------------------


def test_summary_only_is_marked() -> None:
    result = convert("<p>Short summary.</p>", base_url=BASE, summary_only=True)
    assert result.summary_only is True
    assert result.markdown == f"{SUMMARY_NOTE}\n\nShort summary.\n"


def test_summary_only_with_empty_summary() -> None:
    result = convert("", summary_only=True)
    assert result.markdown == SUMMARY_NOTE + "\n"


@pytest.mark.parametrize("html", ["", "   ", "<p></p>", "<html><body></body></html>",
                                  "<!-- only a comment -->", "<script>x</script>"])
def test_empty_bodies(html: str) -> None:
    result = convert(html, base_url=BASE)
    assert result == Converted("", [], False)


def test_bytes_input_utf8_and_invalid_bytes() -> None:
    assert md("<p>café ☕</p>".encode()) == "café ☕"
    assert md(b"<p>caf\xe9 \xff end</p>") == "caf\ufffd \ufffd end"


def test_bytes_input_declared_charset() -> None:
    html = b'<meta charset="iso-8859-1"><p>caf\xe9 \x93q\x94</p>'
    assert md(html) == "café “q”"
    html = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>'.encode()
    assert md(html + "привет</p>".encode("koi8-r")) == "привет"


def test_bytes_declared_latin1_but_really_utf8() -> None:
    assert md('<meta charset="iso-8859-1"><p>café</p>'.encode()) == "café"


def test_bytes_with_boms() -> None:
    assert md(b"\xef\xbb\xbf<p>bom</p>") == "bom"
    assert md("<p>sixteen</p>".encode("utf-16")) == "sixteen"


def test_non_string_input_does_not_raise() -> None:
    assert convert(None).markdown == ""  # type: ignore[arg-type]
    assert isinstance(convert(12345), Converted)  # type: ignore[arg-type]


# -- cache key ---------------------------------------------------------------------------------


def test_cache_key_combines_content_and_version() -> None:
    key = cache_key("<p>a</p>")
    assert key == cache_key("<p>a</p>")
    assert key != cache_key("<p>b</p>")
    assert key.startswith(f"v{CONVERTER_VERSION}:")
    assert cache_key("<p>a</p>", base_url="https://x.example/") != key
    assert cache_key("lone \ud800 surrogate")  # never raises


def test_cache_key_changes_with_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import reader.content.convert as module

    before = cache_key("<p>a</p>")
    monkeypatch.setattr(module, "CONVERTER_VERSION", CONVERTER_VERSION + 1)
    assert module.cache_key("<p>a</p>") != before


def test_link_round_trips_through_vars() -> None:
    """The storage layer keeps links as dicts (vars) and rebuilds them with Link(**d)."""
    result = convert('<p><a href="/a">A</a></p>', base_url=BASE)
    assert [Link(**vars(lk)) for lk in result.links] == result.links


def test_attribute_selectors_of_every_kind() -> None:
    rules = [{"hosts": ["e.org"], "drop_selectors": [
        '[class*="share-"]', 'a[href^="https://ads."]', 'img[src$=".gif"]', "[data-ad]",
        'span[lang="fr"]', 'p[class~="promo"]', "#sidebar", "div.box.small"]}]
    html = ('<div class="my-share-box">s</div><p><a href="https://ads.e.org/1">ad</a> '
            '<img src="/x.gif" alt="gif"> <span data-ad="1">ad2</span> <span lang="fr">fr</span>'
            ' kept</p><p class="big promo">promo</p><div id="sidebar">side</div>'
            '<div class="box small">small</div><div class="box">box</div>')
    assert md(html, base_url="https://e.org/", extra_rules=rules) == "kept\n\nbox"


def test_drop_lines_that_cannot_be_combined_still_work() -> None:
    rules = [{"hosts": ["*"], "drop_lines": ["(?P<x>a+)", "(?P<x>b+)"]}]
    assert md("<p>aaa</p><p>bbb</p><p>abc</p>", extra_rules=rules) == "abc"


def test_a_br_after_a_block_leaves_no_lone_backslash() -> None:
    # issue 14: 54 real entries had a "\" line where <br> followed a paragraph
    markdown = convert("<p>One</p><br>Two<p>Three<br>four</p>").markdown
    assert "\n\\\n" not in markdown and not markdown.startswith("\\")
    assert markdown.startswith("One\n\nTwo") and "Three\\\nfour" in markdown


def test_an_old_style_caption_keeps_its_caption_text() -> None:
    html = ('[caption id="attachment_1" align="alignleft" width="300" caption="A &amp; B at '
            'dusk"]<img src="https://i.example/a.jpg" alt="">[/caption]<p>Body</p>')
    markdown = convert(html, base_url="https://b.example/").markdown
    assert "A & B at dusk" in markdown and "caption=" not in markdown


def test_the_wordpress_appeared_first_on_footer_is_dropped() -> None:
    html = ('<p>Body text.</p><p>The post <a href="https://b.example/p">Hello, world</a> '
            'appeared first on <a href="https://b.example">Blog Name</a>.</p>')
    markdown = convert(html, base_url="https://b.example/p").markdown
    assert "appeared first" not in markdown and markdown.startswith("Body text.")
    prose = "<p>The post office appeared first on the left, he said.</p>"
    assert "post office" in convert(prose, base_url="https://b.example/p").markdown


def test_a_br_after_wordpress_more_marker_leaves_no_lone_backslash() -> None:
    markdown = convert('<p>One</p><p><span id="more-105"></span><br />\nText</p>').markdown
    assert markdown == "One\n\nText\n"
    assert convert("<p>a<span></span><br>b</p>").markdown == "a\\\nb\n"  # a real line break
