"""The README program: PyTorch's classic MLP training loop, with only its imports changed.

Run: ``python examples/simple_net.py`` (numpy backend; ``XGRAD_DEVICE=reference`` for the
pure-Python one). The targets come from a fixed random linear "teacher", so they are valid
class indices in ``[0, 10)`` and the loss falls. The tutorial variant ``torch.max(x, 1)[1]``
labels with indices up to 783 and, as in PyTorch, fails with
``IndexError: Target ... is out of bounds.``
"""
import xgrad as torch
from xgrad import nn, optim

torch.manual_seed(0)


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


# Synthetic data with valid class indices: a fixed random "teacher" labels the inputs.
x = torch.randn(512, 784)
teacher = torch.randn(784, 10)
targets = (x @ teacher).argmax(1)

model = SimpleNet()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

for epoch in range(10):
    optimizer.zero_grad()
    outputs = model(x)
    loss = criterion(outputs, targets)
    loss.backward()
    optimizer.step()
    print(f"Epoch {epoch + 1}, Loss: {loss.item():.4f}")
