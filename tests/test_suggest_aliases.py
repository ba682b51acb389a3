"""Other names an article gives the thing: a name written against Chinese text ends
where the Latin letters end ("代号nano-banana的模型" names nano-banana, not "nano-banana的模型")."""

from __future__ import annotations

from tracker.suggest.aliases import aliases_of


def test_code_name_followed_by_chinese_ends_at_the_latin():
    text = "谷歌的Gemini 2.5 Flash Image，代号nano-banana的模型登顶榜单"
    assert aliases_of("Gemini 2.5 Flash Image", text) == ("nano-banana",)


def test_known_as_followed_by_chinese_ends_at_the_latin():
    assert aliases_of("GPT-5", "OpenAI的GPT-5, also known as Orion发布了") == ("Orion",)


def test_bracketed_code_name_still_found():
    text = "Gemini 2.5 Flash Image（代号nano-banana）登顶"
    assert aliases_of("Gemini 2.5 Flash Image", text) == ("nano-banana",)
