# Tiny StemGNN forward in NeuralForecast 3.3 (eval mode), for the Rust forward-parity test.
import json, torch
torch.set_num_threads(1)
from neuralforecast.models import StemGNN
torch.manual_seed(0)
m = StemGNN(h=3, input_size=4, n_series=3, multi_layer=1, random_seed=7)
m.eval()
g = torch.Generator().manual_seed(11)
x = torch.randn(2, 4, 3, generator=g)
with torch.no_grad():
    y = m({"insample_y": x})
out = {"params": {n: p.detach().flatten().tolist() for n, p in m.named_parameters()},
       "shapes": {n: list(p.shape) for n, p in m.named_parameters()},
       "x": x.flatten().tolist(), "y": y.flatten().tolist(), "y_shape": list(y.shape)}
json.dump(out, open("/work/wt-stemgnn/crates/models-graph/tests/nf_stemgnn_tiny.json", "w"))
print(y.shape, sum(p.numel() for p in m.parameters()))
