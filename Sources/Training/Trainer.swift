import Encoder
