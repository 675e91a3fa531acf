"""An LSTM word-level language model, in the style of PyTorch's word_language_model example,
with only the import changed.

    python examples/word_lm.py            # 15 epochs
    python examples/word_lm.py --quick    # CI: a few epochs, seconds

The corpus is generated here from a small seeded grammar (train/valid/test splits), so the
model has real structure to learn: perplexity falls from the vocabulary size towards the
grammar's own branching. Truncated BPTT with detached hidden states, gradient clipping, a
plain SGD update written out as in the original, learning-rate annealing on plateaus, the
best model saved whole with ``torch.save(model, f)`` and reloaded with ``weights_only=False``,
then text sampled word by word with ``torch.multinomial``.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import time

import xgrad as torch
import xgrad.nn as nn
import xgrad.nn.functional as F

GRAMMAR = {
    "S": [["NP", "VP", "."], ["NP", "VP", "and", "VP", "."], ["PP", ",", "NP", "VP", "."]],
    "NP": [["the", "N"], ["the", "ADJ", "N"], ["a", "N"], ["my", "N"]],
    "VP": [["V", "NP"], ["V", "PP"], ["IV"]],
    "PP": [["P", "NP"]],
    "N": [["cat"], ["dog"], ["bird"], ["child"], ["farmer"], ["river"], ["house"], ["tree"],
          ["garden"], ["boat"]],
    "ADJ": [["old"], ["small"], ["green"], ["quiet"], ["happy"]],
    "V": [["sees"], ["follows"], ["paints"], ["finds"], ["likes"]],
    "IV": [["sleeps"], ["sings"], ["waits"], ["runs"]],
    "P": [["near"], ["under"], ["behind"], ["inside"]],
}


def generate_sentence(rng: random.Random, symbol: str = "S") -> list[str]:
    if symbol not in GRAMMAR:
        return [symbol]
    return [w for part in rng.choice(GRAMMAR[symbol]) for w in generate_sentence(rng, part)]


class Dictionary:
    def __init__(self) -> None:
        self.word2idx: dict[str, int] = {}
        self.idx2word: list[str] = []

    def add_word(self, word: str) -> int:
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self) -> int:
        return len(self.idx2word)


class Corpus:
    """Train/valid/test token streams; each sentence ends with ``<eos>``."""

    def __init__(self, n_sentences: int, seed: int = 0) -> None:
        self.dictionary = Dictionary()
        rng = random.Random(seed)
        self.train = self.tokenize([generate_sentence(rng) for _ in range(n_sentences)])
        self.valid = self.tokenize([generate_sentence(rng) for _ in range(n_sentences // 10)])
        self.test = self.tokenize([generate_sentence(rng) for _ in range(n_sentences // 10)])

    def tokenize(self, sentences: list[list[str]]) -> torch.Tensor:
        ids = [self.dictionary.add_word(w) for s in sentences for w in s + ["<eos>"]]
        return torch.tensor(ids, dtype=torch.int64)


class RNNModel(nn.Module):
    """Embedding -> dropout -> LSTM -> dropout -> Linear (optionally tied to the embedding)."""

    def __init__(self, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float = 0.2,
                 tie_weights: bool = False) -> None:
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout if nlayers > 1 else 0.0)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.nhid, self.nlayers = nhid, nlayers

    def init_weights(self) -> None:
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input: torch.Tensor, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz: int):
        weight = next(self.parameters())
        kw = {"dtype": weight.dtype, "device": weight.device}
        return (torch.zeros(self.nlayers, bsz, self.nhid, **kw),
                torch.zeros(self.nlayers, bsz, self.nhid, **kw))


def batchify(data: torch.Tensor, bsz: int, device) -> torch.Tensor:
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous().to(device)


def repackage_hidden(h):
    """Detach hidden states from their history (truncated backpropagation through time)."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source: torch.Tensor, i: int, bptt: int):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="LSTM word-level language model")
    parser.add_argument("--quick", action="store_true", help="short run for CI")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--lr", type=float, default=20)
    parser.add_argument("--clip", type=float, default=0.25)
    parser.add_argument("--bptt", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=20)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1111)
    parser.add_argument("--save", default="word_lm_out/model.pt")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    epochs = args.epochs or (6 if args.quick else 15)
    corpus = Corpus(n_sentences=1500 if args.quick else 6000)
    eval_batch_size = 10
    train_data = batchify(corpus.train, args.batch_size, device)
    val_data = batchify(corpus.valid, eval_batch_size, device)
    test_data = batchify(corpus.test, eval_batch_size, device)
    ntokens = len(corpus.dictionary)
    model = RNNModel(ntokens, 48, 48, 2, dropout=0.1, tie_weights=True).to(device)
    criterion = nn.NLLLoss()

    def evaluate(data_source: torch.Tensor) -> float:
        model.eval()
        total_loss = 0.0
        hidden = model.init_hidden(eval_batch_size)
        with torch.no_grad():
            for i in range(0, data_source.size(0) - 1, args.bptt):
                data, targets = get_batch(data_source, i, args.bptt)
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
                total_loss += len(data) * criterion(output, targets).item()
        return total_loss / (len(data_source) - 1)

    def train(epoch: int, lr: float) -> None:
        model.train()
        total_loss = 0.0
        start_time = time.time()
        hidden = model.init_hidden(args.batch_size)
        log_interval = max((len(train_data) // args.bptt) // 3, 1)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
            data, targets = get_batch(train_data, i, args.bptt)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            total_loss += loss.item()
            if batch % log_interval == 0 and batch > 0:
                cur_loss = total_loss / log_interval
                elapsed = time.time() - start_time
                print(f"| epoch {epoch:3d} | {batch:5d}/{len(train_data) // args.bptt:5d} "
                      f"batches | lr {lr:02.2f} | ms/batch {elapsed * 1000 / log_interval:5.2f} "
                      f"| loss {cur_loss:5.2f} | ppl {math.exp(cur_loss):8.2f}")
                total_loss = 0.0
                start_time = time.time()

    lr = args.lr
    best_val_loss = None
    os.makedirs(os.path.dirname(args.save) or ".", exist_ok=True)
    print(f"vocabulary {ntokens} words, {len(corpus.train)} training tokens, device {device}")
    print(f"| before training | valid loss {evaluate(val_data):.4f}")
    for epoch in range(1, epochs + 1):
        epoch_start_time = time.time()
        train(epoch, lr)
        val_loss = evaluate(val_data)
        print("-" * 89)
        print(f"| end of epoch {epoch:3d} | time: {time.time() - epoch_start_time:5.2f}s | "
              f"valid loss {val_loss:.4f} | valid ppl {math.exp(val_loss):8.2f}")
        print("-" * 89)
        if not best_val_loss or val_loss < best_val_loss:
            with open(args.save, "wb") as f:
                torch.save(model, f)
            best_val_loss = val_loss
        else:
            lr /= 4.0

    with open(args.save, "rb") as f:
        model = torch.load(f, weights_only=False)
    test_loss = evaluate(test_data)
    print("=" * 89)
    print(f"| End of training | test loss {test_loss:.4f} | test ppl {math.exp(test_loss):8.2f}")
    print("=" * 89)

    # generate: feed each sampled word back in
    model.eval()
    hidden = model.init_hidden(1)
    input = torch.randint(ntokens, (1, 1), dtype=torch.long).to(device)
    words = []
    with torch.no_grad():
        for _ in range(30):
            output, hidden = model(input, hidden)
            word_weights = output.squeeze().div(args.temperature).exp().cpu()
            word_idx = torch.multinomial(word_weights, 1)[0]
            input.fill_(word_idx)
            words.append(corpus.dictionary.idx2word[word_idx])
    print(" ".join(words).replace(" <eos> ", "\n"))


if __name__ == "__main__":
    main()
