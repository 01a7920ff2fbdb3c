from facilitation.templatetags.addresses import breakable_url


def test_an_address_may_wrap_after_each_slash_and_stays_escaped():
    assert breakable_url("http://10.0.0.5:8000/unirse/") == (
        "http:/<wbr>/<wbr>10.0.0.5:8000/<wbr>unirse/<wbr>"
    )
    assert breakable_url('https://x.co/"<b>') == "https:/<wbr>/<wbr>x.co/<wbr>&quot;&lt;b&gt;"
