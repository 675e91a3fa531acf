"""Sequence model example: a small Transformer encoder (or an LSTM) learns to sort short digit
sequences, written exactly as the PyTorch program would be.

The task: an input of ``--length`` random digits 0-9; the target at position i is the i-th
smallest digit. Accuracy is per output digit on freshly drawn sequences (chance is ~10%).

    python examples/sequence_model.py                  # Transformer, ~99% digit accuracy
    python examples/sequence_model.py --model lstm     # bidirectional LSTM encoder
    python examples/sequence_model.py --quick          # tiny CI run (< 60 s on 2 cores)
    python examples/sequence_model.py --device reference --quick
"""
from __future__ import annotations

import argparse
import time

import xgrad as torch
import xgrad.nn as nn
import xgrad.optim as optim

VOCAB = 10


def make_batch(batch_size: int, length: int, device: str,
               generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random digit sequences (N, L) and their sorted versions as targets."""
    x = torch.randint(0, VOCAB, (batch_size, length), generator=generator, device=device)
    return x, x.sort(dim=1)[0]


class TransformerSorter(nn.Module):
    """Token + learned position embeddings, a TransformerEncoder, a per-position classifier."""

    def __init__(self, length: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 128) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, d_model)
        self.pos = nn.Embedding(length, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.head = nn.Linear(d_model, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(x.shape[1], device=x.device)
        h = self.tok(x) + self.pos(positions)
        return self.head(self.encoder(h))


class LSTMSorter(nn.Module):
    """Embeddings, a two-layer bidirectional LSTM, a per-position classifier."""

    def __init__(self, length: int, hidden: int = 64) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, hidden)
        self.pos = nn.Embedding(length, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(x.shape[1], device=x.device)
        out, _ = self.lstm(self.tok(x) + self.pos(positions))
        return self.head(out)


def evaluate(model: nn.Module, length: int, device: str, generator: torch.Generator,
             batches: int = 4, batch_size: int = 256) -> float:
    """Per-digit accuracy on fresh random sequences."""
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for _ in range(batches):
            x, y = make_batch(batch_size, length, device, generator)
            pred = model(x).argmax(-1)
            correct += int((pred == y).sum().item())
            total += y.numel()
    model.train()
    return correct / total


def main(argv: list[str] | None = None) -> float:
    """Train, print the loss as it goes, then the final accuracy and the time; return it."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", help="backend: cpu/numpy, reference, cuda/cupy")
    p.add_argument("--model", choices=("transformer", "lstm"), default="transformer")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--steps-per-epoch", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--length", type=int, default=8)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="tiny run for CI")
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.steps_per_epoch, args.length = 4, 100, 5

    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    eval_gen = torch.Generator().manual_seed(args.seed + 2)
    if args.model == "transformer":
        model = TransformerSorter(args.length)
    else:
        model = LSTMSorter(args.length)
    model = model.to(args.device)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()

    start = time.perf_counter()
    for epoch in range(args.epochs):
        running = 0.0
        for _ in range(args.steps_per_epoch):
            x, y = make_batch(args.batch_size, args.length, args.device, gen)
            logits = model(x)
            loss = criterion(logits.reshape(-1, VOCAB), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch + 1}/{args.epochs}  loss {running / args.steps_per_epoch:.4f}",
              flush=True)
    accuracy = evaluate(model, args.length, args.device, eval_gen)
    elapsed = time.perf_counter() - start
    print(f"final accuracy: {accuracy:.4f}  (sorting {args.length} digits, {args.model}, "
          f"device {args.device})")
    print(f"time: {elapsed:.1f} s")
    return accuracy


if __name__ == "__main__":
    main()
