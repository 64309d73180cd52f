from __future__ import annotations

from langchain_gba.tools.search.wikipedia import Document, Embedder, chunk_documents


def test_passages_fit_the_window_and_cover_the_text(embedder: Embedder) -> None:
    tok = embedder.tokenizer
    sentence = "Sentence number {} talks about the history of the river and its bridges."
    long_text = " ".join(sentence.format(i) for i in range(60))
    docs = [Document("Short", "A short text.", "u1"), Document("Long river", long_text, "u2")]
    passages = list(chunk_documents(docs, tok, max_tokens=64, overlap=8))
    assert passages[0].text == "A short text." and passages[0].doc_id == 0
    long = [p for p in passages if p.doc_id == 1]
    assert len(long) > 5
    for p in long:
        assert p.title == "Long river" and p.url == "u2"
        assert len(tok(p.embedding_text())["input_ids"]) <= 64
    for i in (0, 30, 59):
        assert any(f"Sentence number {i} " in p.text for p in long)


def test_real_corpus_passages_fit_128_tokens(embedder: Embedder, small_corpus) -> None:  # type: ignore[no-untyped-def]
    passages = list(chunk_documents(small_corpus, embedder.tokenizer, max_tokens=128))
    assert len(passages) >= len(small_corpus)
    assert {p.doc_id for p in passages} == set(range(len(small_corpus)))
    lengths = [len(embedder.tokenizer(p.embedding_text())["input_ids"]) for p in passages]
    assert max(lengths) <= 128
