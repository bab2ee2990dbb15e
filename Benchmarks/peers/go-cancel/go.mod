module go-cancel

go 1.19
