print("nvmf-tgt: not yet built")
