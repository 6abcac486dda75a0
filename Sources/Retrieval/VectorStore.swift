import Encoder
import GRDB
